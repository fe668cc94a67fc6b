"""The scorecard's fonts: Noto CJK SC faces cut out of the Debian TTCs, and their coverage.

Debian's fonts-noto-cjk ships TrueType collections whose first face is the
Japanese one, so pointing @font-face at a .ttc (or letting fontconfig choose)
can print Japanese glyph variants. We copy the Simplified Chinese faces out of
the collections once into a cache folder (tables copied as they are, nothing
re-encoded), load them by explicit @font-face, and check before rendering that
every character to print is in the fonts' character maps, so a name like 喆 or
堃 never silently vanishes.

Each face also gets a *common* cut: the characters of GB 2312 plus every
non-ideograph block (Latin, punctuation, symbols, kana, full-width forms), about
7,500 characters of the face's 44,000. CSS lists the common family first and the
full face second, so Pango prints everything it can from the small file and
falls back, character by character, to the full face. WeasyPrint subsets every
font it embeds, and subsetting a 16 MiB face takes ~70 ms per face per PDF; the
3 MiB common cut takes ~17 ms, and the PDF is about a third of the size (the
subset keeps glyph ids). The cut is made once with HarfBuzz (uharfbuzz: 0.1 s,
where fontTools' subsetter takes ~30 s per face).

This module is an edge: it reads the TTCs, writes the cache, and reads
``ZWGK_FONT_DIR`` / ``XDG_CACHE_HOME`` only in :func:`default_cache_dir`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs

from .errors import InputError, ScoringError
from .iofiles import write_atomic

#: Folders searched for the Noto CJK collections (Debian's first).
TTC_DIRS = (
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/opentype/noto-cjk"),
    Path("/usr/share/fonts/noto-cjk"),
    Path("/usr/share/fonts/google-noto-cjk"),
)

INSTALL_HINT = "请安装 Debian 软件包 fonts-noto-cjk（sudo apt-get install fonts-noto-cjk；README 的安装步骤会安装它）"


class FontError(ScoringError):
    """The fonts the scorecard needs are missing or unusable."""


@attrs.frozen
class FaceSpec:
    """One face to cut out of a collection."""

    family: str  # CSS family name: our own, so no system font can answer to it
    weight: int
    collection: str  # file name of the .ttc
    postscript: str  # PostScript name of the face inside the collection


#: One 黑体-like family, Regular and Bold, for everything (the title too): every extra face
#: embedded costs ~45 ms of subsetting and ~100 KiB per PDF, since WeasyPrint keeps glyph ids.
FACES = (
    FaceSpec("ZWGK Noto Sans CJK SC", 400, "NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular"),
    FaceSpec("ZWGK Noto Sans CJK SC", 700, "NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Bold"),
)

#: CSS family name of the common-character cuts (listed before the full faces).
COMMON_FAMILY = "ZWGK Noto Sans CJK SC Common"
#: Changes whenever :func:`common_codepoints` does, so old cuts are not reused.
COMMON_CUT = "common1"

# Layout characters HTML collapses or breaks on: they need no glyph.
_LAYOUT = frozenset(map(ord, "\n\r\t\f"))


@attrs.frozen
class Face:
    spec: FaceSpec
    path: Path


@attrs.frozen
class FontSet:
    """The prepared faces, and the characters every one of them can print."""

    faces: tuple[Face, ...]
    coverage: frozenset[int] = attrs.field(repr=False)
    commons: tuple[Face, ...] = ()  # the common-character cut of each face, same order

    @property
    def stack(self) -> str:
        """The CSS ``font-family`` value that prints with these fonts: common cut first."""
        families = dict.fromkeys(f.spec.family for f in (*self.commons, *self.faces))
        return ", ".join(f'"{family}"' for family in families)

    @property
    def folder(self) -> Path:
        return self.faces[0].path.parent

    def font_face_css(self) -> str:
        """@font-face rules pointing at the cached faces by file: URL (no submitted text)."""
        return "".join(
            "@font-face {\n"
            f'  font-family: "{face.spec.family}";\n'
            f"  font-weight: {face.spec.weight};\n"
            "  font-style: normal;\n"
            f'  src: url("{face.path.resolve().as_uri()}") format("opentype");\n'
            "}\n"
            for face in (*self.commons, *self.faces)
        )

    def uncovered(self, text: str) -> list[str]:
        """Characters of ``text`` that some face cannot print, each once, in order."""
        coverage = self.coverage
        missing: dict[str, None] = {}
        for ch in text:
            code = ord(ch)
            if code not in coverage and code not in _LAYOUT:
                missing[ch] = None
        return list(missing)


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$ZWGK_FONT_DIR``, else ``$XDG_CACHE_HOME/zwgk-scoring/fonts``, else ``~/.cache/zwgk-scoring/fonts``."""
    env = os.environ if environ is None else environ
    if env.get("ZWGK_FONT_DIR"):
        return Path(env["ZWGK_FONT_DIR"]).expanduser()
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "zwgk-scoring" / "fonts"


def prepare_fonts(
    cache_dir: Path | None = None,
    ttc_dirs: Iterable[Path] = TTC_DIRS,
    faces: Iterable[FaceSpec] = FACES,
) -> FontSet:
    """Cut the faces out of the collections into ``cache_dir`` (once) and read their coverage."""
    cache = default_cache_dir() if cache_dir is None else Path(cache_dir)
    folders = [Path(d) for d in ttc_dirs]
    prepared: list[Face] = []
    commons: list[Face] = []
    coverage: frozenset[int] | None = None
    for spec in faces:
        path = _extract(spec, _find_collection(spec.collection, folders), cache)
        cmap = _coverage(path)
        coverage = cmap if coverage is None else coverage & cmap
        prepared.append(Face(spec, path))
        commons.append(Face(attrs.evolve(spec, family=COMMON_FAMILY), _common_cut(path)))
    if coverage is None:
        raise FontError("没有指定任何字体")
    return FontSet(tuple(prepared), coverage, tuple(commons))


def common_codepoints() -> frozenset[int]:
    """GB 2312 (its 6,763 hanzi and symbols), every BMP block below CJK Extension A
    (Latin, punctuation, symbols, kana, bopomofo) and the forms from U+FE00 on."""
    points = set(range(0x20, 0x3400)) | set(range(0xFE00, 0x10000))
    for code in range(0x3400, 0xFE00):
        try:
            chr(code).encode("gb2312")
        except UnicodeEncodeError:
            continue
        points.add(code)
    return frozenset(points)


def _common_cut(face: Path) -> Path:
    """The common-character cut of ``face``, made once beside it."""
    target = face.with_name(f"{face.stem}-{COMMON_CUT}.otf")
    if target.is_file():
        return target
    import uharfbuzz as hb

    wanted = hb.SubsetInput()
    wanted.unicode_set.update(common_codepoints())
    cut = hb.subset(hb.Face(hb.Blob.from_file_path(str(face))), wanted)
    data = bytes(cut.blob.data) if cut is not None else b""
    if not data:
        raise FontError(f"字体缓存文件 {face} 无法读取，请删除它后重试")
    _write_cache(target, data)
    return target


def _find_collection(name: str, folders: list[Path]) -> Path:
    for folder in folders:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    searched = "、".join(str(d) for d in folders)
    raise FontError(f"找不到中文字体文件 {name}（Noto CJK 思源字体；已查找：{searched}）。{INSTALL_HINT}")


def _fingerprint(source: Path) -> str:
    st = source.stat()
    key = f"{source.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def _extract(spec: FaceSpec, source: Path, cache: Path) -> Path:
    """The cached face for ``spec``, cut out of ``source`` when absent (or the source changed)."""
    target = cache / f"{spec.postscript}-{_fingerprint(source)}.otf"
    if target.is_file():
        return target
    from fontTools.ttLib import TTCollection, TTLibError

    try:
        collection = TTCollection(str(source), lazy=True)
    except (TTLibError, OSError) as exc:
        raise FontError(f"无法读取字体文件 {source}：{exc}。{INSTALL_HINT}") from exc
    try:
        font = next((f for f in collection.fonts if f["name"].getDebugName(6) == spec.postscript), None)
        if font is None:
            raise FontError(f"字体文件 {source} 中没有简体中文字形 {spec.postscript}。{INSTALL_HINT}")
        data = io.BytesIO()
        try:
            font.save(data, reorderTables=False)
        except TTLibError as exc:
            raise FontError(f"无法从 {source} 取出字体 {spec.postscript}：{exc}。{INSTALL_HINT}") from exc
    finally:
        collection.close()
    _write_cache(target, data.getvalue())
    return target


def _coverage(path: Path) -> frozenset[int]:
    """Code points the face maps to a glyph; remembered next to the face as JSON."""
    sidecar = path.with_suffix(".cmap.json")
    try:
        return frozenset(json.loads(sidecar.read_text(encoding="ascii")))
    except (OSError, ValueError):
        pass
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(str(path), lazy=True) as font:
            codepoints = sorted(font.getBestCmap() or {})
    except (TTLibError, OSError) as exc:
        raise FontError(f"字体缓存文件 {path} 无法读取（{exc}），请删除它后重试") from exc
    with contextlib.suppress(FontError):  # the sidecar is only an optimisation
        _write_cache(sidecar, json.dumps(codepoints, separators=(",", ":")).encode("ascii"))
    return frozenset(codepoints)


def _write_cache(target: Path, data: bytes) -> None:
    try:
        write_atomic(target, data)
    except (OSError, InputError) as exc:
        raise FontError(f"无法写入字体缓存 {target}：{exc}（可用环境变量 ZWGK_FONT_DIR 指定一个可写的文件夹）") from exc
