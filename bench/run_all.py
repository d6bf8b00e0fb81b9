"""`make bench`: run every benchmark script under bench/ in turn, let each print its report,
then print one table of every figure with its baseline from the same run, the ratio and the
target from the issues (bench/_results.py).

Each benchmark is a standalone script `bench/<name>.py` that measures its figure and its
baseline in the same run and prints them with their ratio.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _results import table

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(
        p for p in HERE.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_")
    )
    if not scripts:
        print(
            "No benchmarks yet: they arrive with the guardianship, vaccination and records issues."
        )
        return 0
    failed = 0
    with tempfile.TemporaryDirectory(prefix="ikp-bench-") as folder:
        results = os.path.join(folder, "results.jsonl")
        env = {**os.environ, "BENCH_RESULTS": results}
        for script in scripts:
            print(f"== {script.name}", flush=True)
            failed += subprocess.call([sys.executable, str(script)], env=env) != 0
        print("\n== all benchmarks (targets from the issues)")
        print(table(results))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
