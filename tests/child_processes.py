"""Python child processes for tests, with a deadline that shows where a hung child stood.

A child that hangs must fail its test, not hold the whole run until CI's
limit. Children run with ``PYTHONFAULTHANDLER=1``; one past its deadline gets
SIGABRT, on which Python's faulthandler writes every thread's stack to the
child's stderr, and the test fails with that stderr.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence

import pytest

#: Seconds a child has to write its stacks after SIGABRT, and to go after SIGKILL.
GRACE = 30


def python_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with Python's faulthandler on."""
    return {**(os.environ if env is None else env), "PYTHONFAULTHANDLER": "1"}


def finish(proc: subprocess.Popen, timeout: float) -> tuple[str | bytes, str | bytes]:
    """``proc.communicate()`` within ``timeout`` seconds, or fail with the child's stacks."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    proc.send_signal(signal.SIGABRT)
    try:
        _, err = proc.communicate(timeout=GRACE)
    except subprocess.TimeoutExpired:
        proc.kill()
        try:
            _, err = proc.communicate(timeout=GRACE)
        except subprocess.TimeoutExpired:  # a process it started holds its output open
            err = b""
    if isinstance(err, bytes):
        err = err.decode(errors="replace")
    pytest.fail(f"{proc.args!r} ran past {timeout:g} s; its stderr:\n{(err or '')[-6000:]}")


def run_python(
    args: Sequence[str],
    *,
    timeout: float = 300,
    env: Mapping[str, str] | None = None,
    **popen: object,
) -> subprocess.CompletedProcess:
    """``subprocess.run([python, *args], capture_output=True, …)``, within :func:`finish`."""
    proc = subprocess.Popen(
        [sys.executable, *args],
        env=python_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **popen,
    )
    out, err = finish(proc, timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
