"""Test fixture (secure_link scenario): stand-in listeners for ports whose services other
issues build (SigNoz ingest OTLP, ClickHouse, ZooKeeper, SigNoz). Never product code.

  fixture_listeners.py tcp PORT...                 plain TCP: answers "fm-sec-fixture PORT" and closes
  fixture_listeners.py mtls PORT CERT KEY CAFILE   HTTPS that requires a client certificate from CAFILE;
                                                   answers 200 "client <subject CN>"
Binds 0.0.0.0 on purpose: the firewall, not the bind address, must keep the ports closed.
"""

import http.server
import socketserver
import ssl
import sys
import threading


class Banner(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(f"fm-sec-fixture {self.server.server_address[1]}\n".encode())


class TCP(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class ClientEcho(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        cert = self.connection.getpeercert() or {}
        cn = dict(x[0] for x in cert.get("subject", ())).get("commonName", "?")
        body = f"client {cn}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main(argv):
    if argv[:1] == ["tcp"]:
        servers = [TCP(("0.0.0.0", int(p)), Banner) for p in argv[1:]]
        for srv in servers[1:]:
            threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers[0].serve_forever()
    elif argv[:1] == ["mtls"] and len(argv) == 5:
        port, cert, key, cafile = argv[1:]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(cert, key)
        ctx.load_verify_locations(cafile)
        ctx.verify_mode = ssl.CERT_REQUIRED
        srv = http.server.ThreadingHTTPServer(("0.0.0.0", int(port)), ClientEcho)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        srv.serve_forever()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
