"""Test fixture (default scenario, side_effect.yml): stand-in TCP listeners. Never product code.

  fixture_listeners.py ADDRESS:PORT...   plain TCP: answers "fm-mol-fixture PORT" and closes

side_effect.yml binds them to 0.0.0.0 on the ports of the internal services that do not run in this scenario
(the ZooKeeper peer and election ports: one ZooKeeper node opens neither): the firewall, not the bind address,
must keep them closed (tests/test_secure_link.py). Where the real services answer (ClickHouse, ZooKeeper's
client port, SigNoz, the ingest gateway, the front end) no stand-in runs.
"""

import socketserver
import sys
import threading


class Banner(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(f"fm-mol-fixture {self.server.server_address[1]}\n".encode())


class TCP(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main(argv):
    if not argv:
        sys.exit(__doc__)
    servers = []
    for target in argv:
        addr, port = target.rsplit(":", 1)
        servers.append(TCP((addr, int(port)), Banner))
    for srv in servers[1:]:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
