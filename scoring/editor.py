"""Editor support: the schema file a template's ``# yaml-language-server: $schema=…`` line names.

yaml-language-server resolves a relative ``$schema`` against the folder of the
file being edited, and takes the reference up to the first space. So
``scoring template … -o FILE`` writes the schema beside FILE and names it by
its bare file name: it works wherever FILE is written, still works when the
folder is moved or sent on, and puts no local absolute path into a file that
is handed to evaluators. On stdout the destination is unknown; the reference
is then relative to the current folder (where ``> FILE`` puts it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from . import model as m
from .submission import submission_schema


def schema_name(rubric: m.Rubric) -> str:
    """``<rubric id>.submission.schema.json``: rubric ids hold no spaces or path characters."""
    return f"{rubric.id}.submission.schema.json"


def schema_text(rubric: m.Rubric) -> str:
    """The editor schema as written by ``scoring schema`` and committed under rubrics/."""
    return json.dumps(submission_schema(rubric), ensure_ascii=False, indent=2) + "\n"


def reference(schema: Path, document_folder: Path) -> str:
    """How a document in ``document_folder`` names ``schema``: a relative POSIX path, or a
    ``file://`` URI where the relative path would hold a space (the editor stops reading there)
    or cannot be formed (another drive)."""
    try:
        relative = Path(os.path.relpath(schema.resolve(), document_folder.resolve())).as_posix()
    except ValueError:
        return schema.resolve().as_uri()
    if any(c.isspace() for c in relative):
        return schema.resolve().as_uri()
    return relative


def stdout_reference(rubric: m.Rubric, cwd: Path) -> tuple[str, str]:
    """(reference, hint) for a template printed to the screen: relative to ``cwd``, to a current
    schema in ``cwd`` or beside the rubric file (as the committed rubrics/*.submission.schema.json
    are); else the bare name, with a hint how to write that file."""
    name = schema_name(rubric)
    text = schema_text(rubric)
    folders = [cwd] + ([Path(rubric.file).parent] if rubric.file else [])
    for candidate in (folder / name for folder in folders):
        try:
            if candidate.read_text(encoding="utf-8") == text:
                return reference(candidate, cwd), ""
        except (OSError, UnicodeDecodeError):
            continue
    hint = (
        f"提示：模板首行引用同一文件夹中的 {name}，该文件还不存在；要在编辑器中获得补全和检查，"
        f"请运行 scoring schema {rubric.id} -o {name}，或改用 -o 文件.yaml 生成模板（会同时写出该文件）\n"
    )
    return name, hint
