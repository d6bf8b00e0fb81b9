"""`make bench`: run every benchmark script under bench/ in turn and print what each reports.

Each benchmark is a standalone script `bench/<name>.py` that measures its figure and its
baseline in the same run and prints them with their ratio.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_"))
    if not scripts:
        print("No benchmarks yet: they arrive with the guardianship, vaccination and records issues.")
        return 0
    failed = 0
    for script in scripts:
        print(f"== {script.name}", flush=True)
        failed += subprocess.call([sys.executable, str(script)]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
