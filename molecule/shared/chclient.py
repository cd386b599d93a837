"""Helpers for the ClickHouse scenarios' testinfra tests: queries over HTTP from the test process
itself (urllib, basic auth), so no password ever appears on a command line, and ZooKeeper
four-letter words over a plain socket."""

import base64
import socket
import urllib.error
import urllib.request


def query(address, sql, user="default", password="", *, port=8123, timeout=30):
    """(status, body) of a POSTed query; status is the HTTP code (0 when the connection fails)."""
    req = urllib.request.Request(f"http://{address}:{port}/", data=sql.encode(), method="POST")
    if user != "default" or password:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError as exc:
        return 0, str(exc)


def four_letter(address, word, port=2181, timeout=5):
    with socket.create_connection((address, port), timeout) as sock:
        sock.sendall(word.encode())
        chunks = []
        while data := sock.recv(4096):
            chunks.append(data)
    return b"".join(chunks).decode()
