"""`streamlit run <script>` on a free loopback port, in its own process group: the servers of the browser tests
and of the browser benchmarks (benchmarks/browser_bench.py)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from etl.paths import PROJECT_ROOT

# Counts script runs in the page (for waits after a click): every change of stApp's script state away from
# "running", i.e. a finished run. (Reading the attribute's value when the observer is called instead would miss a
# run that started and ended between two callbacks.)
RUN_COUNTER = """
(() => {
  window.__stRuns = 0;
  const watch = () => new MutationObserver(changes => {
    for (const c of changes) {
      if (c.oldValue === 'running') window.__stRuns += 1;
    }
  }).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                        attributeFilter: ['data-test-script-state']});
  if (document.documentElement) watch(); else document.addEventListener('DOMContentLoaded', watch);
})();
"""

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via an http_proxy from the env
_ACCESS_LINE = re.compile(r'" \d{3}$|"WebSocket /_stcore/|connection (open|closed)$')


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with _DIRECT.open(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class StreamlitServer:
    """One Streamlit server; `env` is the child's whole environment (default: this process's)."""

    log_path: Path
    script: str = "dashboard/app.py"
    env: Mapping[str, str] | None = None
    start_timeout: float = 120  # s; the machine may be busy (2 cores shared with other work)
    url: str = ""
    process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**(os.environ if self.env is None else self.env), "PYTHONUNBUFFERED": "1",
               "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
        for _attempt in range(3):  # a port picked as free may be taken before Streamlit binds it
            port = _free_port()
            self.url = f"http://127.0.0.1:{port}"
            command = [sys.executable, "-m", "streamlit", "run", self.script,
                       "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
                       # others edit the dashboard while we test: a changed file must not prompt a rerun
                       "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
            with open(self.log_path, "ab") as log:
                # own process group: the server and its children (kaleido's Chromium) end with it
                self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)
            deadline = time.monotonic() + self.start_timeout
            while time.monotonic() < deadline and self.process.poll() is None:
                if _healthy(self.url):
                    return
                time.sleep(0.25)
            if self.process.poll() is None:
                self.stop()
                raise RuntimeError(f"Streamlit did not answer /_stcore/health within {self.start_timeout} s:\n"
                                   + self.log_tail())
            if "address already in use" not in self.log_tail().lower():
                break
        raise RuntimeError(f"Streamlit exited with code {self.process.returncode}:\n{self.log_tail()}")

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)  # leftovers of our own process group (the image-export browser)
        self.process = None

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's log without the access lines (a traceback is what one wants to see)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        lines = [line for line in text.splitlines() if not _ACCESS_LINE.search(line)]
        return "\n".join(lines)[-chars:]
