"""What every test server needs: a free port on 127.0.0.1, and a way to stop a process."""

from __future__ import annotations

import socket
import subprocess

STOP_GRACE_S = 15.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(proc: subprocess.Popen[bytes], grace_s: float = STOP_GRACE_S) -> int:
    """SIGTERM a process we started (if it still runs), SIGKILL it after `grace_s`; its exit code."""
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()
