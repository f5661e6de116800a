"""The progress reporter: a bar on a terminal, JSON lines for programs, nothing otherwise."""

from __future__ import annotations

import io
import json

from superad_geo_cli.progress import Progress, format_duration, make_progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_modes_follow_the_options():
    assert make_progress("auto", False, _Tty()).mode == "bar"
    assert make_progress("auto", False, io.StringIO()).mode == "lines"  # not a terminal
    assert make_progress("auto", True, _Tty()).mode == "none"  # --quiet
    assert make_progress("none", False, _Tty()).mode == "none"
    assert make_progress("json", True, io.StringIO()).mode == "json"  # asked for by a program


def test_json_lines():
    stream = io.StringIO()
    p = make_progress("json", stream=stream)
    p(0, 3, "tiles")
    p.child(scene="a")(3, 3, "tiles")
    p.message("a note")
    lines = stream.getvalue().splitlines()
    assert json.loads(lines[0]) == {"done": 0, "total": 3, "stage": "tiles"}
    assert json.loads(lines[1]) == {"done": 3, "total": 3, "stage": "tiles", "scene": "a"}
    assert lines[2] == "a note"


def test_lines_every_tenth_on_a_stream_that_is_not_a_terminal(monkeypatch):
    clock = iter([0.0, 1.0, 2.0, *(float(t) for t in range(10, 100))])
    monkeypatch.setattr("superad_geo_cli.progress.time.monotonic", lambda: next(clock))
    stream = io.StringIO()
    p = make_progress("auto", False, stream)  # made at 0 s
    p(0, 2, "evaluate")  # at 1 s
    p(1, 2, "evaluate")  # at 2 s: nothing yet, a quick run (or a refusal) writes no line
    assert stream.getvalue() == ""
    for done in range(41):  # from 10 s on
        p(done, 40, "tiles")
    p.child(scene="b.tif")(0, 3, "scaling")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "tiles: 0% (0/40), 0:00 elapsed, ?:?? left"
    assert lines[3] == "tiles: 30% (12/40), 0:12 elapsed, 0:28 left"
    assert lines[10] == "tiles: 100% (40/40), 0:40 elapsed, done"
    assert len(lines) == 12 and lines[11].startswith("b.tif: scaling: 0% (0/3)")
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()


def test_bar_shows_counts_and_time_left(monkeypatch):
    clock = iter([0.0, 0.0, 10.0, 20.0])  # made, then three reports
    monkeypatch.setattr("superad_geo_cli.progress.time.monotonic", lambda: next(clock))
    stream = _Tty()
    p = Progress("bar", stream)
    p(0, 4, "tiles")
    p(1, 4, "tiles")
    text = stream.getvalue()
    assert "1/4" in text and " 25%" in text and "0:30 left" in text
    p(4, 4, "tiles")
    assert stream.getvalue().endswith("\n") and "done" in stream.getvalue()
    assert format_duration(3725) == "1:02:05"
