"""``docgen serve`` shares kept-alive connections evenly between its worker processes (a real
process with two workers): a connection stays with the worker that accepted it, so an uneven
split leaves the clients of the busier worker waiting longer."""

from __future__ import annotations

import http.client
import time

import psutil
import pytest

from serve_helpers import Server, make_token


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("balance") / "data"
    make_token(data, "balance-test", "derbyshire")
    running = Server(data, workers=2)
    yield running
    running.stop()


def workers(server) -> list[psutil.Process]:
    return [p for p in psutil.Process(server.proc.pid).children() if "soffice" not in " ".join(p.cmdline())]


def held(server) -> list[int]:
    """Connections to the server's port each worker holds open."""
    return sorted(
        sum(1 for c in worker.net_connections("tcp") if c.status == "ESTABLISHED" and c.laddr.port == server.port)
        for worker in workers(server)
    )


def connect(server) -> http.client.HTTPConnection:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", "/v1/health")
    reply = connection.getresponse()
    assert reply.status in (200, 503) and b'"register"' in reply.read()  # 503 while LibreOffice starts
    return connection


def settle(server, expected: list[int]) -> list[int]:
    deadline = time.monotonic() + 10
    while (found := held(server)) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def both_running(server) -> None:
    """Wait until each worker has accepted a connection: both have loaded the application."""
    seen: set[int] = set()
    deadline = time.monotonic() + 60
    while len(seen) < 2 and time.monotonic() < deadline:
        connection = connect(server)
        for worker in workers(server):
            if any(c.status == "ESTABLISHED" and c.laddr.port == server.port for c in worker.net_connections("tcp")):
                seen.add(worker.pid)
        connection.close()
        settle(server, [0, 0])
    assert len(seen) == 2, "the second worker never accepted a connection"


def test_kept_alive_connections_are_shared_evenly(server):
    assert len(workers(server)) == 2
    both_running(server)
    connections = [connect(server) for _ in range(8)]
    assert settle(server, [4, 4]) == [4, 4]
    for connection in connections[:3]:  # closing some leaves one worker with fewer: it takes the next ones
        connection.close()
    remaining = connections[3:] + [connect(server) for _ in range(3)]
    assert settle(server, [4, 4]) == [4, 4]
    for connection in remaining:  # each still answers on its kept-alive connection
        connection.request("GET", "/v1/health")
        assert connection.getresponse().read()
        connection.close()
