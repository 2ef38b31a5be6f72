"""``docgen serve`` keeps answering others while a request hangs or fails (a real process).

One worker with two threads, so a server that let a slow client hold a thread would stop
answering after two of them.
"""

from __future__ import annotations

import io
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import docx
import pytest
import requests

from docgen.register import Register
from serve_helpers import ROOT, Server, make_token

BUNDLE = (ROOT / "samples" / "valid" / "derbyshire-child-in-need.json").read_bytes()
REFERENCE = json.loads(BUNDLE)["case"]["reference"]
RENDER = "/v1/render?doc=information-request&format=docx"
CLIENT_TIMEOUT = 3  # seconds a client may fall silent mid-request


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("resilience") / "data"
    token = make_token(data, "resilience-test", "derbyshire")
    running = Server(data, workers=1, threads=2, options=("--client-timeout", str(CLIENT_TIMEOUT)))
    running.token = token
    yield running
    running.stop()


def render(server, body: bytes = BUNDLE) -> requests.Response:
    return requests.post(server.url + RENDER, data=body, timeout=30, headers={
        "Authorization": f"Bearer {server.token}", "Content-Type": "application/json"})  # fmt: skip


def head(server, length: int, *extra: str) -> bytes:
    lines = [f"POST {RENDER} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: Bearer {server.token}",
             "Content-Type: application/json", f"Content-Length: {length}", *extra]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    sock.settimeout(CLIENT_TIMEOUT + 20)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def assert_letter(reply: requests.Response) -> None:
    assert reply.status_code == 200, reply.text
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(reply.content)).paragraphs)
    assert "Request for information: assessment of need" in text and "Derbyshire County Council" in text


def renders_recorded(server) -> int:
    with Register(server.data / "register.sqlite3", read_only=True) as register:
        return sum(1 for a in register.accesses(REFERENCE) if a.action == "render")


def test_slow_clients_hold_no_thread_and_are_answered_408(server):
    before = renders_recorded(server)
    slow = []
    for n in range(6):  # three times the threads: half stall in their headers, half in their body
        sock = socket.create_connection(("127.0.0.1", server.port))
        whole = head(server, len(BUNDLE)) + BUNDLE
        sock.sendall(whole[:40] if n % 2 else whole[: len(whole) - len(BUNDLE) + 100])
        slow.append(sock)
    time.sleep(0.5)
    started = time.monotonic()
    for _ in range(4):
        assert_letter(render(server))
    assert time.monotonic() - started < CLIENT_TIMEOUT  # answered while the slow ones still stall
    for sock in slow:
        assert read_all(sock).startswith(b"HTTP/1.1 408 Request Timeout\r\n")
        sock.close()
    with socket.create_connection(("127.0.0.1", server.port)) as silent:  # never sends a byte
        assert read_all(silent) == b""  # closed, not answered
    assert renders_recorded(server) == before + 4  # the stalled requests left nothing behind


def test_a_large_body_that_stalls_is_answered_408_as_a_problem(server):
    # Expect: 100-continue hands the body to a thread as it comes; each of its reads is limited.
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(head(server, len(BUNDLE), "Expect: 100-continue"))
    sock.settimeout(10)
    assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
    sock.sendall(BUNDLE[:100])
    assert_letter(render(server))  # the other thread still answers
    reply = read_all(sock)
    sock.close()
    status, _, rest = reply.partition(b"\r\n")
    assert status == b"HTTP/1.1 408 REQUEST TIMEOUT"
    problem = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert problem["type"] == "urn:docgen:problem:timeout" and problem["status"] == 408
    assert "stopped arriving" in problem["detail"]


def test_failing_requests_do_not_stop_good_ones_beside_them(server):
    bad = json.loads(BUNDLE)
    bad["case"]["opened"] = "not a date"
    bad_body = json.dumps(bad).encode()
    with ThreadPoolExecutor(6) as pool:
        replies = list(pool.map(lambda n: (n % 2, render(server, bad_body if n % 2 else BUNDLE)), range(12)))
    for failing, reply in replies:
        if failing:
            assert reply.status_code == 422, reply.text
            assert any(p["path"] == "case.opened" for p in reply.json()["problems"])
        else:
            assert_letter(reply)
