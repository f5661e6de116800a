"""Progress reports on stderr: a bar for people, JSON lines for programs.

A :class:`Progress` is a callable ``progress(done, total, stage)`` — the
signature :func:`superad_geo.detect_file` calls — in one of three modes:

- ``"bar"``: one line redrawn in place, with the stage, done/total, the
  percentage, the time spent and the time left. Used when stderr is a
  terminal and neither ``--quiet`` nor ``--progress none`` is given.
- ``"json"``: one JSON object per line, ``{"done": 3, "total": 12,
  "stage": "tiles"}``, flushed at once (``--progress json``; the QGIS
  provider reads these). Extra keys (e.g. ``"scene"`` in ``batch``) may be
  added; ``done``, ``total`` and ``stage`` are always there.
- ``"none"``: nothing.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any, TextIO

__all__ = ["Progress", "format_duration", "make_progress"]


def format_duration(seconds: float) -> str:
    """``75.2`` → ``'1:15'``; ``3725`` → ``'1:02:05'``."""
    s = int(round(max(seconds, 0.0)))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """Progress reporter (see the module docstring).

    Parameters
    ----------
    mode : {"bar", "json", "none"}
    stream : file, optional
        Where to write (default ``sys.stderr``).
    extra : dict, optional
        Keys added to every JSON line.
    width : int
        Width of the bar in characters.
    """

    def __init__(
        self,
        mode: str = "none",
        stream: TextIO | None = None,
        *,
        extra: dict[str, Any] | None = None,
        width: int = 28,
    ) -> None:
        if mode not in ("bar", "json", "none"):
            raise ValueError(f"unknown progress mode {mode!r}")
        self.mode = mode
        self.stream = stream if stream is not None else sys.stderr
        self.extra = dict(extra or {})
        self.width = width
        self._lock = threading.Lock()
        self._stage: str | None = None
        self._start = 0.0
        self._first_done = 0
        self._last_draw = 0.0
        self._line_open = False

    def child(self, **extra: Any):
        """A callable ``(done, total, stage)`` reporting through this one with more keys.

        In JSON mode the keys are added to each line; on the bar a ``scene``
        key prefixes the stage.
        """
        merged = {**self.extra, **extra}

        def report(done: int, total: int, stage: str = "tiles") -> None:
            self._emit(done, total, stage, merged)

        return report

    def __call__(self, done: int, total: int, stage: str = "tiles") -> None:
        """Report ``done`` of ``total`` units of work in ``stage``."""
        self._emit(done, total, stage, self.extra)

    def _emit(self, done: int, total: int, stage: str, extra: dict[str, Any]) -> None:
        if self.mode == "none":
            return
        with self._lock:
            if self.mode == "json":
                record = {"done": int(done), "total": int(total), "stage": str(stage), **extra}
                self.stream.write(json.dumps(record) + "\n")
                self.stream.flush()
                return
            label = f"{extra['scene']}: {stage}" if "scene" in extra else str(stage)
            self._draw(int(done), int(total), label)

    def _draw(self, done: int, total: int, stage: str) -> None:
        now = time.monotonic()
        if stage != self._stage:
            if self._line_open:
                self.stream.write("\n")
            self._stage, self._start, self._first_done = stage, now, done
            self._last_draw = -float("inf")
        finished = total > 0 and done >= total
        if not finished and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        frac = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
        filled = int(round(frac * self.width))
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = now - self._start
        rate_done = done - self._first_done
        if finished:
            eta = "done"
        elif rate_done > 0 and elapsed > 0:
            eta = format_duration(elapsed / rate_done * (total - done)) + " left"
        else:
            eta = "?:?? left"
        label = stage if len(stage) <= 24 else stage[:23] + "…"
        line = (
            f"\r{label:<24} |{bar}| {done}/{total} {100 * frac:3.0f}% "
            f"{format_duration(elapsed)} elapsed, {eta}"
        )
        self.stream.write(line + "\x1b[K")
        self._line_open = True
        if finished:
            self.stream.write("\n")
            self._line_open = False
            self._stage = None
        self.stream.flush()

    def message(self, text: str) -> None:
        """Write a line of text without breaking the bar (also in JSON mode)."""
        with self._lock:
            if self._line_open:
                self.stream.write("\n")
                self._line_open = False
                self._stage = None
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        """End an open bar line."""
        with self._lock:
            if self._line_open:
                self.stream.write("\n")
                self.stream.flush()
                self._line_open = False
                self._stage = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_progress(progress: str = "auto", quiet: bool = False, stream: TextIO | None = None):
    """The reporter for the ``--progress`` and ``--quiet`` options.

    ``json`` is honoured even with ``--quiet`` (a program asked for it);
    ``auto`` draws a bar only when the stream is a terminal.
    """
    stream = stream if stream is not None else sys.stderr
    if progress == "json":
        return Progress("json", stream)
    if progress == "none" or quiet:
        return Progress("none", stream)
    isatty = getattr(stream, "isatty", None)
    return Progress("bar" if isatty is not None and isatty() else "none", stream)
