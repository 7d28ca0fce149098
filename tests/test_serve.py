"""`forms-app serve`: each worker listens on a socket of its own (the kernel shares the connections out between them,
where one shared socket let one worker take most), and an address already in use is refused with a sentence instead
of being shared with whatever listens there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
from support.server import Server


def _listening_sockets(port: int) -> int:
    """How many sockets listen on the TCP port, from /proc/net/tcp and tcp6 (state 0A: LISTEN)."""
    found = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        found += sum(1 for row in rows if row.split()[3] == "0A" and int(row.split()[1].rsplit(":", 1)[1], 16) == port)
    return found


def test_each_worker_listens_on_a_socket_of_its_own(tmp_path):
    server = Server(tmp_path / "data", tmp_path / "serve.log", "--workers", "2")
    try:
        assert _listening_sockets(server.port) == 2
    finally:
        server.stop()


def test_a_second_serve_on_a_port_in_use_is_refused_with_a_sentence_and_the_first_serves_on(tmp_path):
    server = Server(tmp_path / "data", tmp_path / "serve.log", "--workers", "2")
    try:
        second = subprocess.run([str(Path(sys.executable).parent / "forms-app"), "serve", "--data-dir",
                                 str(tmp_path / "other"), "--port", str(server.port)],
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert second.stderr.strip() == (f"Địa chỉ 127.0.0.1:{server.port} đang được một chương trình khác dùng (có thể "
                                         "là một forms-app serve khác); hãy dừng chương trình đó hoặc chọn --port khác.")
        assert _listening_sockets(server.port) == 2
        assert httpx.get(server.base + "/healthz", timeout=5).status_code == 200
    finally:
        server.stop()
