"""`forms-app serve`: each worker listens on a socket of its own (the kernel shares the connections out between them,
where one shared socket let one worker take most), and an address already in use is refused with a sentence instead
of being shared with whatever listens there; an address it cannot use is one sentence too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from support.server import Server, free_port


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


@pytest.mark.parametrize(("host", "sentence"), [
    ("192.0.2.1", "Không thể phục vụ tại 192.0.2.1:{port}: 192.0.2.1 không phải địa chỉ của máy này; hãy kiểm tra "
                  "--host."),
    ("no-such-host.invalid", "Không thể phục vụ tại no-such-host.invalid:{port}: không tìm thấy máy tên "
                             "no-such-host.invalid; hãy kiểm tra --host."),
])
def test_an_address_the_server_cannot_use_is_one_sentence_not_workers_started_again_without_end(tmp_path, host,
                                                                                                 sentence):
    """Each worker binds the address itself (`reuse_port`): on one it cannot use, gunicorn started them again and
    again, logging the same error each second, where a shared socket failed once."""
    port = free_port()
    done = subprocess.run([str(Path(sys.executable).parent / "forms-app"), "serve", "--data-dir", str(tmp_path / "d"),
                           "--host", host, "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stderr.strip() == sentence.format(port=port)
