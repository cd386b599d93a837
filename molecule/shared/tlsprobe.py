"""TEST-ONLY: what a TLS server answers to one client certificate (molecule verifiers).

`command(addr, port, ca, cert=None, key=None)` is a shell command for the host that runs the probe with the
host's python3 and prints one line:

- ``accepted``: the handshake completed and the server sent no alert within 2 s (it waits for a request);
- ``refused <REASON>``: the server ended the handshake with a TLS alert, e.g. ``TLSV13_ALERT_CERTIFICATE_REQUIRED``
  (no client certificate) or ``TLSV1_ALERT_UNKNOWN_CA`` (one the server's CA did not sign);
- ``unreachable <ERROR>``: no TCP connection (a firewall drop, nothing listening);
- ``error <REASON>``: anything else (the client's own verification of the server failed, say).

A refusal is proven only by the alert that names the reason: "no 200" or "curl said 000" also holds when
nothing listens. Under TLS 1.3 the server checks the client's certificate after the client has finished its
handshake, so the probe reads once after it: that is where the alert arrives."""

import shlex

PROBE = """
import socket, ssl, sys
addr, port, ca, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
ctx.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
if cert:
    ctx.load_cert_chain(cert, key)
try:
    raw = socket.create_connection((addr, port), timeout=5)
except OSError as e:
    print("unreachable", type(e).__name__)
    sys.exit()
try:
    tls = ctx.wrap_socket(raw)
    tls.settimeout(2)
    try:
        tls.recv(1)
    except (socket.timeout, ssl.SSLZeroReturnError, ssl.SSLEOFError):
        pass
    print("accepted")
except ssl.SSLError as e:
    alert = "ALERT" in (e.reason or "")
    print("refused" if alert else "error", e.reason or type(e).__name__)
except OSError as e:
    print("error", type(e).__name__)
"""


def command(addr, port, ca, cert="", key=""):
    args = " ".join(shlex.quote(str(a)) for a in (addr, port, ca, cert, key))
    return f"python3 -c {shlex.quote(PROBE)} {args}"
