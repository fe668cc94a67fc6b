"""Time to generate the 2017 rubric's workbook and to import the seed-001 workbook (target: < 1 s each).

Generate: ``workbook_bytes`` (what ``scoring template RUBRIC --xlsx`` writes). Import: the seam every
command uses (``inspect_file``: zip checks, openpyxl, cell reading, all checks of the YAML route),
then the canonical YAML (``scoring import``). Best and median of several runs, in milliseconds.

Run: ``.venv/bin/python bench/bench_workbook.py``. Prints figures only.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scoring.diagnose import inspect_file  # noqa: E402
from scoring.registry import PROJECT_RUBRICS, Rubrics  # noqa: E402
from scoring.rubric import load_rubric  # noqa: E402
from scoring.workbook.generate import workbook_bytes  # noqa: E402
from scoring.workbook.read import workbook_yaml  # noqa: E402
from scoring.yamlio import load_file  # noqa: E402

RUNS = 7


def timed(run: object) -> float:
    started = time.perf_counter()
    run()  # type: ignore[operator]
    return (time.perf_counter() - started) * 1000


def report(name: str, times: list[float]) -> None:
    print(f"{name:<34} best {min(times):7.1f} ms   median {statistics.median(times):7.1f} ms   ({len(times)} runs)")


def main() -> None:
    rubric = load_rubric(ROOT / "rubrics" / "ordos-otqq-zjj-2017.yaml")
    seed = load_file(ROOT / "examples" / "001-otqq-zjj-2017.yaml").data
    registry = Rubrics([PROJECT_RUBRICS])
    with tempfile.TemporaryDirectory() as folder:
        book = Path(folder) / "自评表.xlsx"
        book.write_bytes(workbook_bytes(rubric, seed))
        print(
            f"2017 workbook: {book.stat().st_size / 1024:.0f} KiB, {len(rubric.facts)} facts, {len(rubric.all_nodes())} nodes"
        )
        report("generate (blank)", [timed(lambda: workbook_bytes(rubric)) for _ in range(RUNS)])
        report(
            "generate (pre-filled with seed 001)", [timed(lambda: workbook_bytes(rubric, seed)) for _ in range(RUNS)]
        )

        def rubric_for(doc: object) -> object:
            return registry.for_submission(doc, None)  # type: ignore[arg-type]

        def read() -> None:
            found, _sha = inspect_file(str(book), rubric_for)  # type: ignore[arg-type]
            assert found.submission is not None

        def to_yaml() -> None:
            found, _sha = inspect_file(str(book), rubric_for)  # type: ignore[arg-type]
            workbook_yaml(found.rubric, found.submission)

        read()  # the rubric is loaded once per process, as in a batch
        report("import (read + check)", [timed(read) for _ in range(RUNS)])
        report("import to YAML (scoring import)", [timed(to_yaml) for _ in range(RUNS)])


if __name__ == "__main__":
    main()
