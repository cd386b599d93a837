"""Websocket probe for molecule/frontend: one RFC 6455 upgrade over TLS and one echoed text frame.

    python3 ws_probe.py PORT SERVER_NAME CA_FILE [COOKIE]
Prints JSON: status of the answer, its head, the echoed text and the key that was sent.
"""

import base64
import json
import os
import socket
import ssl
import sys

port, name, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cookie = sys.argv[4] if len(sys.argv) > 4 else ""
ctx = ssl.create_default_context(cafile=ca)
ctx.set_alpn_protocols(["http/1.1"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname=name)
key = base64.b64encode(os.urandom(16)).decode()
lines = [
    "GET /ws/live HTTP/1.1",
    f"Host: {name}:{port}",
    "Upgrade: websocket",
    "Connection: Upgrade",
    f"Sec-WebSocket-Key: {key}",
    "Sec-WebSocket-Version: 13",
] + ([f"Cookie: {cookie}"] if cookie else [])
s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
head = b""
while b"\r\n\r\n" not in head:
    chunk = s.recv(1)
    if not chunk:
        break
    head += chunk
status = int(head.split()[1])
reply = ""
if status == 101:
    payload, mask = b"hello-through-nginx", os.urandom(4)
    s.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    hdr = s.recv(2)
    reply = s.recv(hdr[1] & 0x7F).decode()
print(json.dumps({"status": status, "head": head.decode(), "reply": reply, "key": key}))
