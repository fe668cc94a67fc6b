"""The README's Excel section for bodies, run as written: its commands and the messages it shows."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from wbtools import ROOT, cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
START = README.index("### 用 Excel 填写（推荐）")
SECTION = README[START : README.index("\n### ", START + 1)]
BROKEN = Path(__file__).resolve().parent / "broken"


def test_commands_run(tmp_path: Path) -> None:
    block = re.search(r"```bash\n(.*?)```", SECTION, re.S)
    assert block
    codes = []
    for line in block.group(1).splitlines():
        words = shlex.split(line, comments=True)
        assert words[0] == ".venv/bin/scoring"
        codes.append(cli(*words[1:], cwd=tmp_path)[0])
    assert codes == [0, 1, 0, 0]  # a blank workbook: valid format, required items not filled in yet
    assert (tmp_path / "自评表.yaml").read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=")
    assert (tmp_path / "新表.xlsx").stat().st_size > 0


def test_messages_shown_are_real() -> None:
    shown = re.search(r"```text\n(.*?)```", SECTION, re.S)
    assert shown
    _code, _out, err = cli("validate", "many-problems.xlsx", cwd=BROKEN)
    real = {line.replace("many-problems.xlsx", "自评表.xlsx") for line in err.splitlines()}
    _code, _out, seed = cli("validate", "dropped-validation.xlsx", cwd=BROKEN)
    reminders = [line.replace("dropped-validation.xlsx", "自评表.xlsx") for line in seed.splitlines()]
    for line in shown.group(1).splitlines():
        if "……" in line:
            head, tail = line.split("……")
            assert any(r.startswith(head) and r.endswith(tail) for r in reminders), line
        else:
            assert line in real, line
