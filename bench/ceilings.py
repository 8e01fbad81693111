"""The two ceilings: nginx serving the same files, and the raw write+fsync rate of the disk.

nginx runs one worker (Rucket's targets are for one server process), keeps files under
`data/<bucket>/<key>` and accepts WebDAV PUT/DELETE there, so the same URL lists and the
same load generator drive it; it does not fsync, so it is a ceiling, not a peer.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench import install
from bench.model import Cell
from bench.servers import ProcessServer

_NGINX_CONF = """\
daemon off;
worker_processes 1;
{user}
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  client_body_temp_path {data}/.tmp;
  proxy_temp_path {work}/tmp;
  fastcgi_temp_path {work}/tmp;
  uwsgi_temp_path {work}/tmp;
  scgi_temp_path {work}/tmp;
  server {{
    listen 127.0.0.1:{port};
    root {data};
    client_max_body_size 0;
    location = /health {{ return 200; }}
    location / {{ dav_methods PUT DELETE; create_full_put_path on; }}
  }}
}}
"""


@dataclass(eq=False)
class Nginx(ProcessServer):
    name: str = "nginx"
    role: str = "ceiling"
    s3: bool = False
    ready_path: str = "/health"
    ready_any_status: bool = False

    def prepare(self, log: Path) -> str | None:
        return install.ensure_debian("nginx", "nginx", log)

    def command(self) -> list[str]:
        conf = self.workdir / "nginx.conf"
        (self.workdir / "tmp").mkdir(exist_ok=True)
        (self.data_dir / ".tmp").mkdir(parents=True, exist_ok=True)
        user = "user root;" if os.geteuid() == 0 else ""
        conf.write_text(_NGINX_CONF.format(user=user, work=self.workdir, data=self.data_dir, port=self.port))
        nginx = install.which("nginx") or "nginx"
        return [nginx, "-p", str(self.workdir), "-c", str(conf), "-e", str(self.workdir / "error.log")]

    def version(self) -> str:
        done = subprocess.run([install.which("nginx") or "nginx", "-v"], capture_output=True, text=True,
                              check=False)
        return done.stderr.strip().removeprefix("nginx version: ") + " (1 worker, no fsync)"


@dataclass
class Disk:
    """Write `size` bytes to a file, fsync, close: the floor under every durable PUT."""

    data_dir: Path
    name: str = "disk"
    role: str = "ceiling"

    def measure(self, size: int, concurrency: int, seconds: float) -> Cell:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        buf = memoryview(bytes(range(256)) * (size // 256))
        counts = [0] * concurrency
        latencies: list[list[float]] = [[] for _ in range(concurrency)]
        deadline = time.monotonic() + seconds
        start = time.monotonic()
        workers = [threading.Thread(target=self._loop, args=(i, buf, deadline, counts, latencies[i]))
                   for i in range(concurrency)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        elapsed = time.monotonic() - start
        all_lat = sorted(x for lat in latencies for x in lat)
        ops = sum(counts)
        return Cell(self.name, "", concurrency, ops=ops, seconds=elapsed, payload_bytes=ops * size,
                    p50_ms=_pct(all_lat, 50), p99_ms=_pct(all_lat, 99), tool="python write+fsync")

    def _loop(self, i: int, buf: memoryview, deadline: float, counts: list[int], lat: list[float]) -> None:
        n = 0
        while n == 0 or time.monotonic() < deadline:
            path = self.data_dir / f"f{i}-{n % 4}"
            t0 = time.perf_counter()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                view = buf
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            lat.append((time.perf_counter() - t0) * 1000)
            n += 1
        counts[i] = n


def _pct(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, int(len(values) * pct / 100))]
