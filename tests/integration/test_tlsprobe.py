"""molecule/shared/tlsprobe.py tells a refusal from an acceptance and from no connection at all (issue 16 item 3):
a mutual-TLS server on loopback, a client certificate of its CA, one of another CA with the same subject, none."""

import importlib.util
import socket
import ssl
import subprocess
import threading

import pytest
from conftest import ROOT

_spec = importlib.util.spec_from_file_location("tlsprobe_fixture", ROOT / "molecule" / "shared" / "tlsprobe.py")
tlsprobe = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tlsprobe)


def _ca(d, name):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
         "-subj", f"/CN={name}", "-keyout", d / f"{name}.key", "-out", d / f"{name}.crt"],
        check=True, capture_output=True,
    )  # fmt: skip


def _leaf(d, ca, name, cn, usage):
    (d / "ext").write_text(f"extendedKeyUsage={usage}\nsubjectAltName=IP:127.0.0.1\n")
    subprocess.run(
        ["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", f"/CN={cn}",
         "-keyout", d / f"{name}.key", "-out", d / f"{name}.csr"],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        ["openssl", "x509", "-req", "-in", d / f"{name}.csr", "-CA", d / f"{ca}.crt", "-CAkey", d / f"{ca}.key",
         "-CAcreateserial", "-out", d / f"{name}.crt", "-days", "2", "-extfile", d / "ext"],
        check=True, capture_output=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    _ca(d, "site-ca")
    _ca(d, "other-ca")
    _leaf(d, "site-ca", "server", "server", "serverAuth")
    _leaf(d, "site-ca", "client", "dev-1", "clientAuth")
    _leaf(d, "other-ca", "rogue", "dev-1", "clientAuth")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(d / "server.crt", d / "server.key")
    ctx.load_verify_locations(d / "site-ca.crt")
    ctx.verify_mode = ssl.CERT_REQUIRED
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            try:
                with ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.settimeout(3)
                    tls.recv(1)
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield d, listener.getsockname()[1]
    stop.set()
    thread.join()
    listener.close()


def _probe(d, port, name=None):
    cert = (str(d / f"{name}.crt"), str(d / f"{name}.key")) if name else ()
    cmd = tlsprobe.command("127.0.0.1", port, d / "site-ca.crt", *cert)
    r = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_a_certificate_of_the_servers_ca_is_accepted(server):
    assert _probe(*server, "client") == "accepted"


def test_no_certificate_is_refused_with_certificate_required(server):
    assert _probe(*server) == "refused TLSV13_ALERT_CERTIFICATE_REQUIRED"


def test_another_cas_certificate_with_the_same_subject_is_refused_with_unknown_ca(server):
    assert _probe(*server, "rogue") == "refused TLSV1_ALERT_UNKNOWN_CA"


def test_nothing_listening_is_not_a_refusal(server):
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    assert _probe(server[0], port).startswith("unreachable ")
