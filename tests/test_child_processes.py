"""A hung child process fails its test with the child's stacks (``child_processes``)."""

import pytest
from child_processes import run_python


def test_a_hung_child_fails_with_its_stacks():
    with pytest.raises(pytest.fail.Exception) as failed:
        run_python(["-c", "import time\ndef wait():\n    time.sleep(120)\nwait()"], timeout=2)
    message = str(failed.value)
    assert "ran past 2 s" in message
    assert 'File "<string>", line 3 in wait' in message  # faulthandler's stack of the child


def test_a_child_in_time_gives_its_output():
    done = run_python(["-c", "import sys; print('out'); sys.exit(3)"], text=True)
    assert (done.returncode, done.stdout) == (3, "out\n")
