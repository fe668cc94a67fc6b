"""Which rubric scores a submission: the evaluator decides; a submission only names one.

* The rubric folders (``--rubrics-dir``…, ``./rubrics``, the project's ``rubrics/``) are
  indexed by each rubric's *declared* id and version, never by file name. A submission's
  ``rubric: {id, version}`` resolves only through this index: it is never opened as a
  path, and an id outside the rubric schema's id pattern (``/``, ``\\``, ``..``, NUL…) is
  refused before anything is looked up.
* Two different files declaring the same id and version are refused as ambiguous (an
  uploaded copy must not shadow the official rubric); identical copies are one rubric.
* An evaluator's reference (``--rubric``, the ``RUBRIC`` argument) is a file path or a
  registered ``id[@version]``. A pinned rubric scores every submission of the run; one
  that names another id or version is refused, never silently rescored.
* Every rubric is parsed from bytes read once; its SHA-256 is of exactly those bytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from . import model as m
from .errors import InputError, Problem
from .rubric import is_rubric_document, rubric_from_document
from .yamlio import Document, load_bytes, read_bytes

PROJECT_RUBRICS = Path(__file__).resolve().parent.parent / "rubrics"
SUFFIXES = (".yaml", ".yml")
ID_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")  # as in scoring/schemas/rubric.schema.json
MAX_ID_CHARS = 80
_PATH_CHARS = ("/", "\\", "\x00", ":", "~")
_VERSION = "version"  # marks a lookup problem that is about the version, to locate it there
ID_RULE = "编号只能由字母、数字、下划线、点和连字符组成，并以字母或下划线开头"
NOT_A_PATH = "细则编号不是文件路径：只在评估人的评分细则文件夹中按编号和版本查找（评估人可用 --rubric 指定细则）"


@attrs.frozen
class Source:
    """A rubric's bytes as read once, and the name to report it by."""

    name: str
    raw: bytes = attrs.field(repr=False)


@attrs.frozen
class Entry:
    id: str
    version: str
    path: Path
    source: Source
    sha256: str


def shown(text: str, limit: int = 60) -> str:
    """A submitted value as it may appear in a message: one line, bounded."""
    flat = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)
    return flat if len(flat) <= limit else flat[:limit] + "…"


def id_problem(ident: str) -> str:
    """Why ``ident`` is not a rubric id ("" when it is one)."""
    if not ident:
        return "细则编号是空的"
    for char in _PATH_CHARS:
        if char in ident:
            shown_char = {"\x00": "NUL", "\\": "\\"}.get(char, char)
            return f"细则编号“{shown(ident)}”含有路径字符“{shown_char}”"
    if ".." in ident:
        return f"细则编号“{shown(ident)}”含有路径字符“..”"
    if len(ident) > MAX_ID_CHARS:
        return f"细则编号过长（超过 {MAX_ID_CHARS} 个字符）"
    if not ID_PATTERN.fullmatch(ident):
        bad = next((c for c in ident if not re.fullmatch(r"[A-Za-z0-9_.\-]", c)), ident[0])
        if bad == ident[0] and re.fullmatch(r"[0-9.\-]", bad):
            return f"细则编号“{shown(ident)}”应以字母或下划线开头"
        return f"细则编号“{shown(ident)}”含有不允许的字符“{shown(bad)}”"
    return ""


def version_text(value: Any) -> str:
    """A declared version as text (``"2017.1"``, or an unquoted number written the same way)."""
    return "" if value is None else str(value)


def parse_ref(ref: str) -> tuple[str, str]:
    """``id@version`` -> (id, version); ``@`` is not an id character."""
    ident, _, version = ref.partition("@")
    return ident, version


def looks_like_path(ref: str) -> bool:
    return ref.lower().endswith(SUFFIXES) or "/" in ref or "\\" in ref or Path(ref).is_file()


def split_upload_folders(folders: Sequence[Path], uploads: Path) -> tuple[list[Path], list[Path]]:
    """(kept, dropped): rubric folders that are, or lie inside, the folder bodies upload into are dropped."""
    root = uploads.resolve()
    kept, dropped = [], []
    for folder in folders:
        resolved = folder.resolve()
        (dropped if resolved == root or root in resolved.parents else kept).append(folder)
    return kept, dropped


class Registry:
    """The rubric folders' index: (declared id, declared version) -> files declaring it."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self.folders = list(folders)
        self._index: dict[str, list[Entry]] | None = None
        self.unreadable: list[str] = []

    def searched(self) -> str:
        return "、".join(str(d) for d in self.folders)

    def index(self) -> dict[str, list[Entry]]:
        if self._index is None:
            self._index = {}
            for folder in dict.fromkeys(d.resolve() for d in self.folders if d.is_dir()):
                for path in sorted(folder.iterdir()):
                    # regular files only: a FIFO or device named x.yaml would block the run
                    if path.suffix.lower() in SUFFIXES and not path.name.startswith(".") and path.is_file():
                        self._add(path)
        return self._index

    def _add(self, path: Path) -> None:
        try:
            raw = read_bytes(path)
            doc = load_bytes(raw, str(path))
        except InputError:
            self.unreadable.append(path.name)
            return
        if not is_rubric_document(doc):
            return
        meta = doc.data.get("rubric")
        if not isinstance(meta, dict) or not isinstance(meta.get("id"), str):
            return
        entry = Entry(meta["id"], version_text(meta.get("version")), path, Source(str(path), raw), doc.sha256)
        assert self._index is not None
        self._index.setdefault(entry.id, []).append(entry)

    def lookup(self, ident: str, version: str, asked: str = "材料中写的") -> Entry:
        """The one file declaring ``ident`` (and ``version``, if given); InputError (unlocated) otherwise."""
        found = self.index().get(ident, [])
        if not found:
            skipped = f"；另有无法读取的文件已跳过：{'、'.join(self.unreadable)}" if self.unreadable else ""
            raise InputError(
                Problem(
                    f"找不到编号为“{shown(ident)}”的评分细则（已在评分细则文件夹中查找：{self.searched()}{skipped}）；"
                    "请核对编号，或由评估人用 --rubric 指定细则"
                )
            )
        versions = list(dict.fromkeys(e.version for e in found))
        if version:
            found = [e for e in found if e.version == version]
            if not found:
                raise InputError(
                    Problem(
                        f"找到评分细则“{ident}”，但版本是 {'、'.join(versions)}，"
                        f"不是{asked}“{shown(version)}”；请核对版本号",
                        path=_VERSION,
                    )
                )
        elif len(versions) > 1:
            raise InputError(
                Problem(f"评分细则“{ident}”有多个版本（{'、'.join(versions)}），请写明所用的版本（version）")
            )
        distinct = list({e.sha256: e for e in found}.values())
        if len(distinct) > 1:
            files = "、".join(str(e.path) for e in distinct)
            raise InputError(
                Problem(
                    f"有 {len(distinct)} 个内容不同的文件都声明为评分细则“{ident}”（版本 {found[0].version}）：{files}；"
                    "无法确定用哪一个（防止上传的副本冒充正式细则），请删除或改正多余的文件，或用 --rubric 指定文件"
                )
            )
        return found[0]


class Rubrics:
    """A run's rubrics: the registry, the evaluator's pin, built rubrics cached by SHA-256."""

    def __init__(self, folders: Sequence[Path], pinned: Source | None = None) -> None:
        self.registry = Registry(folders)
        self.pinned = pinned
        self._built: dict[str, m.Rubric] = {}

    def load(self, source: Source) -> m.Rubric:
        """Parse ``source``'s bytes; the rubric's SHA-256 is of exactly those bytes."""
        doc = load_bytes(source.raw, source.name)
        if doc.sha256 not in self._built:
            self._built[doc.sha256] = attrs.evolve(rubric_from_document(doc), sha256=doc.sha256)
        return self._built[doc.sha256]

    def source_for(self, ref: str) -> Source:
        """An evaluator's reference: a file path, or a registered ``id[@version]``."""
        if looks_like_path(ref):
            return Source(ref, read_bytes(ref))
        ident, version = parse_ref(ref)
        problem = id_problem(ident)
        if problem:
            raise InputError(Problem(f"{problem}；请给出细则文件的路径或已登记的细则编号"))
        try:
            return self.registry.lookup(ident, version, "指定的").source
        except InputError as exc:
            raise InputError([Problem(p.message) for p in exc.problems]) from None

    def by_ref(self, ref: str) -> m.Rubric:
        return self.load(self.source_for(ref))

    def pinned_rubric(self) -> m.Rubric | None:
        return None if self.pinned is None else self.load(self.pinned)

    def for_submission(self, doc: Document, pinned: m.Rubric | None) -> m.Rubric:
        """The rubric that scores ``doc``: the pinned one (which it must not contradict),
        else the registered rubric its ``rubric: {id, version}`` names."""
        data = doc.data if isinstance(doc.data, dict) else {}
        ref = data.get("rubric")
        if pinned is not None:
            if isinstance(ref, dict):
                _check_matches_pin(doc, ref, pinned)
            return pinned
        if not isinstance(ref, dict) or "id" not in ref:
            raise InputError(
                doc.problem(("rubric",), "没有写明所用评分细则（rubric: {id: …, version: …}），也没有用 --rubric 指定")
            )
        ident = ref["id"]
        if not isinstance(ident, str):
            raise InputError(doc.problem(("rubric", "id"), f"细则编号应为文字，实际为 {shown(str(ident))}"))
        problem = id_problem(ident)
        if problem:
            raise InputError(doc.problem(("rubric", "id"), f"{problem}；{ID_RULE}。{NOT_A_PATH}"))
        version = version_text(ref.get("version"))
        try:
            entry = self.registry.lookup(ident, version)
        except InputError as exc:
            where = [("rubric", "version") if p.path == _VERSION else ("rubric", "id") for p in exc.problems]
            raise InputError([doc.problem(w, p.message) for w, p in zip(where, exc.problems, strict=True)]) from None
        return self.load(entry.source)


def _check_matches_pin(doc: Document, ref: dict[str, Any], pinned: m.Rubric) -> None:
    ident = ref.get("id")
    version = version_text(ref.get("version"))
    named = f"“{shown(str(ident))}”" + (f"（版本 {shown(version)}）" if version else "")
    pin = f"“{pinned.id}”（版本 {pinned.version}，{pinned.title}）"
    tail = "；材料只按评估人指定的细则评分，不会改用其他细则，请核对材料中的 rubric:，或换用对应的 --rubric"
    if ident is not None and ident != pinned.id:
        raise InputError(doc.problem(("rubric", "id"), f"本材料写明的评分细则是{named}，而评估人指定的是{pin}{tail}"))
    if version and version != pinned.version:
        message = f"本材料写明的评分细则是{named}，而评估人指定的是{pin}{tail}"
        raise InputError(doc.problem(("rubric", "version"), message))
