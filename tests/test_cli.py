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
