"""Processes the benchmark starts: a free loopback port, and a clean stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to a process we started in its own session, SIGKILL to the group if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # our own session: master and workers
        process.wait(timeout=5)
