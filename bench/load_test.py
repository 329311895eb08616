"""Bounded loopback load test (issue 6): N requests at concurrency C against the real server, batching off then on.

    python bench/load_test.py --requests 200 --concurrency 8 --max-new-tokens 32

The same as `python bench/inference.py --mode load --name load_test ...`, where the one implementation lives:
starts `uvicorn api.app:app` (configs/serve.yaml) on a free 127.0.0.1 port per mode, reports throughput and
p50/p95 latency, exits 1 if any request is lost or not answered 200, and writes
bench/results/load_test.{json,md}. Every flag of bench/inference.py applies (see --help there).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import inference  # noqa: E402

if __name__ == "__main__":
    inference.main(["--mode", "load", "--name", "load_test", *sys.argv[1:]])
