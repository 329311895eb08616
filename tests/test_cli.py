"""The console entry point: a usage mistake is a short usage message and exit code 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from supportbot.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)


def test_unknown_option_is_a_usage_error_naming_the_flag():
    proc = run_cli("retrieval-eval", "--no-such-flag", "x")
    assert proc.returncode == 2
    assert "No such option: --no-such-flag" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_help_exits_zero():
    proc = run_cli("--help")
    assert proc.returncode == 0, proc.stderr
    assert "prepare" in proc.stdout


def test_an_unwritable_output_dir_is_one_line_naming_it(tmp_path):
    import os

    if os.geteuid() == 0:
        target = "/proc/supportbot-cannot-write-here"  # root ignores permission bits; /proc refuses mkdir
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        target = str(ro / "runs")
    proc = run_cli(
        "train",
        "--set",
        "model.name=tiny-random",
        "--set",
        f"train.output_dir={target}",
        "--set",
        "train.max_steps=1",
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert "supportbot-cannot-write-here" in proc.stderr or "ro/runs" in proc.stderr
