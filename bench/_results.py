"""One line per figure for `make bench`'s table.

Each benchmark prints its own detailed report and also calls `record(...)` for each figure the
issues set a target on. `run_all.py` points BENCH_RESULTS at a file, runs every benchmark and
prints the lines as one table: figure, value, baseline measured in the same run, ratio, target,
verdict. Run alone (no BENCH_RESULTS), a benchmark records nothing.
"""

import json
import os


def record(
    *,
    bench: str,
    figure: str,
    value: str,
    baseline: str = "",
    ratio: str = "",
    target: str,
    met: bool,
) -> None:
    path = os.environ.get("BENCH_RESULTS")
    if not path:
        return
    line = {"bench": bench, "figure": figure, "value": value, "baseline": baseline, "ratio": ratio,
            "target": target, "met": met}  # fmt: skip
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def table(path: str) -> str:
    """The recorded lines as one plain-text table (also pasted into bench/README.md)."""
    rows = (
        [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
        if os.path.exists(path)
        else []
    )
    header = ("benchmark", "figure", "value", "baseline (same run)", "ratio", "target", "verdict")
    cells = [header] + [
        (
            r["bench"],
            r["figure"],
            r["value"],
            r["baseline"],
            r["ratio"],
            r["target"],
            "met" if r["met"] else "MISSED",
        )
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(header))]
    lines = [
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
