"""The common-character cut of the Noto CJK SC faces (scoring/fonts.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from scoring.fonts import COMMON_FAMILY, FontSet, common_codepoints, prepare_fonts


@pytest.fixture(scope="module")
def fonts() -> FontSet:
    return prepare_fonts()


def test_common_codepoints_are_gb2312_and_every_non_ideograph_block() -> None:
    points = common_codepoints()
    for ch in "鄂托克前旗住房和城乡规划建设局政务公开":
        assert ord(ch) in points, ch
    for ch in "，。、；：（）《》“”—…①②③％×≤≥−＋ＡＺ０９":
        assert ord(ch) in points, ch
    for ch in "喆堃镕𠀀":  # outside GB 2312: printed from the full face
        assert ord(ch) not in points, ch
    assert len([p for p in points if 0x3400 <= p <= 0x9FFF]) == 6763  # GB 2312's hanzi, no more


def test_each_face_has_a_common_cut_listed_first(fonts: FontSet) -> None:
    assert [f.spec.weight for f in fonts.commons] == [f.spec.weight for f in fonts.faces]
    assert fonts.stack == f'"{COMMON_FAMILY}", "ZWGK Noto Sans CJK SC"'
    css = fonts.font_face_css()
    assert css.index(COMMON_FAMILY) < css.index('"ZWGK Noto Sans CJK SC";')
    assert css.count("@font-face") == 4


def test_common_cut_prints_the_common_characters_and_is_small(fonts: FontSet) -> None:
    for common, full in zip(fonts.commons, fonts.faces, strict=True):
        with TTFont(str(common.path), lazy=True) as cut:
            cmap = set(cut.getBestCmap())
        assert cmap <= fonts.coverage
        assert ord("鄂") in cmap and ord("，") in cmap and ord("喆") not in cmap
        assert cmap >= (common_codepoints() & fonts.coverage)
        assert common.path.stat().st_size < full.path.stat().st_size / 3


def test_common_cut_is_made_once(tmp_path: Path, fonts: FontSet) -> None:
    before = {f.path: f.path.stat().st_mtime_ns for f in fonts.commons}
    again = prepare_fonts(cache_dir=fonts.folder)
    assert {f.path: f.path.stat().st_mtime_ns for f in again.commons} == before
