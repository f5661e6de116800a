"""Progress reports on stderr: a bar for people, JSON lines for programs.

A :class:`Progress` is a callable ``progress(done, total, stage)`` — the
signature :func:`superad_geo.detect_file` calls — in one of three modes:

- ``"bar"``: one line redrawn in place, with the stage, done/total, the
  percentage, the time spent and the time left. Used when stderr is a
  terminal and neither ``--quiet`` nor ``--progress none`` is given.
- ``"lines"``: the same figures as plain lines, one each time a stage
  passes another tenth (``tiles: 30% (3/9), 0:12 elapsed, 0:28 left``), for
  a stderr that is not a terminal (a log file, ``nohup``, a scheduler's log).
  Nothing is written in a run's first :data:`QUIET_START` seconds: a run that
  ends sooner has nothing to report, and a refused input stays one line.
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

__all__ = ["MODES", "Progress", "format_duration", "format_estimate", "make_progress"]

#: The reporter's modes (see the module docstring).
MODES = ("bar", "lines", "json", "none")

#: Seconds of a run without any line in "lines" mode.
QUIET_START = 5.0


def format_duration(seconds: float) -> str:
    """``75.2`` → ``'1:15'``; ``3725`` → ``'1:02:05'``."""
    s = int(round(max(seconds, 0.0)))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def format_estimate(training: str, seconds: float) -> str:
    """``("scene", 339)`` → ``'scene training, about 5:39 on this machine'``."""
    return f"{training} training, about {format_duration(seconds)} on this machine"


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
        if mode not in MODES:
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
        self._tenths = -1  # tenths of the stage already reported in "lines" mode
        self._created = time.monotonic()

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
            if self.mode == "lines":
                self._line(int(done), int(total), label)
            else:
                self._draw(int(done), int(total), label)

    def _begin(self, stage: str, done: int, now: float) -> None:
        """Start timing ``stage`` (a new stage, or the same one started again)."""
        self._stage, self._start, self._first_done = stage, now, done
        self._last_draw = -float("inf")
        self._tenths = -1

    def _timing(self, done: int, total: int, now: float) -> tuple[float, str, str]:
        """The fraction done, the time spent and the time left (``done`` when finished)."""
        frac = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
        elapsed = now - self._start
        rate_done = done - self._first_done
        if total > 0 and done >= total:
            eta = "done"
        elif rate_done > 0 and elapsed > 0:
            eta = format_duration(elapsed / rate_done * (total - done)) + " left"
        else:
            eta = "?:?? left"
        return frac, format_duration(elapsed), eta

    def _line(self, done: int, total: int, stage: str) -> None:
        now = time.monotonic()
        if stage != self._stage or done < self._first_done:
            self._begin(stage, done, now)
        frac, elapsed, eta = self._timing(done, total, now)
        tenths = int(frac * 10 + 1e-9)
        if tenths <= self._tenths or now - self._created < QUIET_START:
            return
        self._tenths = tenths
        line = f"{stage}: {100 * frac:.0f}% ({done}/{total}), {elapsed} elapsed, {eta}"
        self.stream.write(line + "\n")
        self.stream.flush()

    def _draw(self, done: int, total: int, stage: str) -> None:
        now = time.monotonic()
        if stage != self._stage:
            if self._line_open:
                self.stream.write("\n")
            self._begin(stage, done, now)
        finished = total > 0 and done >= total
        if not finished and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        frac, elapsed, eta = self._timing(done, total, now)
        filled = int(round(frac * self.width))
        bar = "#" * filled + "-" * (self.width - filled)
        label = stage if len(stage) <= 24 else stage[:23] + "…"
        line = f"\r{label:<24} |{bar}| {done}/{total} {100 * frac:3.0f}% {elapsed} elapsed, {eta}"
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
    ``auto`` draws a bar when the stream is a terminal, else writes a line
    every tenth of a stage.
    """
    stream = stream if stream is not None else sys.stderr
    if progress == "json":
        return Progress("json", stream)
    if progress == "none" or quiet:
        return Progress("none", stream)
    isatty = getattr(stream, "isatty", None)
    return Progress("bar" if isatty is not None and isatty() else "lines", stream)
