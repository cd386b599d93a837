"""forge_monitoring/reach.py against a real SSH server on loopback (paramiko's server side, in a thread): the
pinned host key is required, another key is refused before anything is sent, a host with no pinned key is not
trusted on first use, a refused login and a host that does not answer are named."""

import socket
import threading

import paramiko
import pytest

from forge_monitoring import reach


class _Server(paramiko.ServerInterface):
    def __init__(self, allowed):
        self.allowed = allowed

    def get_allowed_auths(self, username):
        return "publickey"

    def check_auth_publickey(self, username, key):
        ok = username == "root" and key.get_base64() == self.allowed.get_base64()
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED


@pytest.fixture
def sshd():
    """(port, host key, client key): an SSH server on 127.0.0.1 that accepts root with the client key."""
    host_key, client_key = paramiko.ECDSAKey.generate(), paramiko.ECDSAKey.generate()
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    stop = threading.Event()

    def serve():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            t = paramiko.Transport(conn)
            t.add_server_key(host_key)
            try:
                t.start_server(server=_Server(client_key))
                t.accept(2)
            except (paramiko.SSHException, EOFError, OSError):
                pass
            finally:
                t.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port, host_key, client_key
    stop.set()
    thread.join()
    sock.close()


def _files(tmp_path, port, pinned, client_key):
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {pinned.get_name()} {pinned.get_base64()}\n" if pinned else "")
    key = tmp_path / "id"
    client_key.write_private_key_file(str(key))
    return known, key


def test_the_pinned_host_key_and_login_pass(tmp_path, sshd):
    port, host_key, client_key = sshd
    known, key = _files(tmp_path, port, host_key, client_key)
    assert reach.reach([reach.Target("vms-1", "127.0.0.1", port)], known, key, timeout=5) == []


def test_another_host_key_is_refused(tmp_path, sshd):
    port, _, client_key = sshd
    known, key = _files(tmp_path, port, paramiko.ECDSAKey.generate(), client_key)
    problem = reach.reach_one(reach.Target("vms-1", "127.0.0.1", port), known, key, timeout=5)
    assert problem.startswith(f"vms-1 (root@127.0.0.1:{port}) answered with the host key ecdsa-sha2-nistp256 ")
    assert "not the one pinned in" in problem and "refused, nothing was sent" in problem


def test_a_host_without_a_pinned_key_is_not_trusted_on_first_use(tmp_path, sshd):
    port, _, client_key = sshd
    known, key = _files(tmp_path, port, None, client_key)
    problem = reach.reach_one(reach.Target("dev-1", "127.0.0.1", port), known, key, timeout=5)
    assert problem == (
        f"dev-1 (root@127.0.0.1:{port}) has no host key pinned in {known}: add it (ssh-keyscan is trust on first use)"
    )


def test_a_refused_login_is_named(tmp_path, sshd):
    port, host_key, _ = sshd
    known, key = _files(tmp_path, port, host_key, paramiko.ECDSAKey.generate())
    problem = reach.reach_one(reach.Target("vms-1", "127.0.0.1", port), known, key, timeout=5)
    assert problem.startswith(f"vms-1 (root@127.0.0.1:{port}): the host key matched, but the login was refused")


def test_a_host_that_does_not_answer_is_retried_until_the_deadline(tmp_path):
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now: connection refused
    known, key = _files(tmp_path, port, paramiko.ECDSAKey.generate(), paramiko.ECDSAKey.generate())
    now = [0.0]
    tries = []

    def sleep(seconds):
        tries.append(seconds)
        now[0] += seconds

    problem = reach.reach_one(
        reach.Target("dev-2", "127.0.0.1", port), known, key, timeout=3, clock=lambda: now[0], sleep=sleep
    )
    assert problem.startswith(f"dev-2 (root@127.0.0.1:{port}) did not answer over SSH within 3s (")
    assert tries == [1, 1, 1]
