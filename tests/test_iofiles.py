"""Output paths on hostile file systems: real read-only disks, paths under /dev/null, existing
files, symlinks. Each is a Chinese message naming the path and the reason (never an OSError
traceback), or, for a symlink, the link itself replaced and its target left alone."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from scoring.cli import run

HOSTILE = Path(__file__).resolve().parent / "hostile"


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def src(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "src").mkdir()
    shutil.copy(HOSTILE / "ok.yaml", tmp_path / "src" / "ok.yaml")
    shutil.copy(HOSTILE / "rubric.yaml", tmp_path / "rubric.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def batch(output: str) -> tuple[int, str, str]:
    return call("batch", "src", "--rubric", "rubric.yaml", "--jobs", "1", "-o", output)


@contextlib.contextmanager
def read_only_disk(where: Path) -> Iterator[Path]:
    """A real read-only file system: a tmpfs mounted ``ro`` (root ignores chmod 555, not ``ro``).
    Skips where mounting is not permitted (no CAP_SYS_ADMIN)."""
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(where)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


@pytest.mark.parametrize("inside", [False, True])
def test_batch_onto_a_read_only_disk_is_a_message(src: Path, inside: bool) -> None:
    with read_only_disk(src / "ro") as disk:
        target = disk / "out" if inside else disk
        code, out, err = batch(str(target))
    assert (code, out) == (1, "")
    assert err == f"{target}: 无法使用输出文件夹：所在磁盘是只读的\n"


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("/dev/null/x", "路径中的“/dev/null”不是文件夹；请给出一个文件夹（不存在时会自动创建）"),
        ("/dev/null/x/y", "路径中的“/dev/null”不是文件夹；请给出一个文件夹（不存在时会自动创建）"),
        ("src/ok.yaml", "输出路径已存在，是一个文件；请给出一个文件夹（不存在时会自动创建）"),
        ("/sys/zwgk-test", "没有权限"),  # sysfs refuses new entries even to root
    ],
)
def test_batch_onto_an_unusable_path_is_a_message(src: Path, output: str, reason: str) -> None:
    before = (src / "src" / "ok.yaml").read_bytes()
    code, out, err = batch(output)
    assert (code, out) == (1, "")
    assert err == f"{output}: 无法使用输出文件夹：{reason}\n"
    assert (src / "src" / "ok.yaml").read_bytes() == before
    assert sorted(os.listdir(src)) == ["rubric.yaml", "src"]


# -- symlinks at output paths ----------------------------------------------------------------------

SCORE = ["score", "src/ok.yaml", "--rubric", "rubric.yaml", "--format", "json", "-o"]


def test_an_output_symlink_is_replaced_and_its_target_left_alone(src: Path) -> None:
    victim = src / "outside" / "victim.txt"
    victim.parent.mkdir()
    victim.write_text("不能被改写\n", encoding="utf-8")
    (src / "out").mkdir()
    link = src / "out" / "r.json"
    link.symlink_to(victim)
    code, _, err = call(*SCORE, "out/r.json")
    assert (code, err) == (0, "已写入 out/r.json\n")
    assert victim.read_text(encoding="utf-8") == "不能被改写\n"
    assert not link.is_symlink() and link.read_text(encoding="utf-8").startswith("{")
    assert sorted(os.listdir(victim.parent)) == ["victim.txt"]  # no temporary file beside the target either


def test_a_dangling_output_symlink_is_replaced(src: Path) -> None:
    (src / "r.json").symlink_to(src / "nowhere" / "x.json")
    assert call(*SCORE, "r.json")[0] == 0
    assert not (src / "r.json").is_symlink() and not (src / "nowhere").exists()


@pytest.mark.parametrize("points_at", ["src/ok.yaml", "rubric.yaml"])
def test_an_output_symlink_pointing_at_an_input_is_refused(src: Path, points_at: str) -> None:
    (src / "r.json").symlink_to(src / points_at)
    before = (src / points_at).read_bytes()
    code, _, err = call(*SCORE, "r.json")
    assert (code, err) == (1, "r.json: 输出文件与输入文件相同，为防止覆盖原始材料，已停止；请换一个输出路径\n")
    assert (src / points_at).read_bytes() == before and (src / "r.json").is_symlink()


def test_an_input_read_through_a_symlink_is_still_protected(src: Path) -> None:
    (src / "via.yaml").symlink_to(src / "src" / "ok.yaml")
    code, _, err = call("score", "via.yaml", "--rubric", "rubric.yaml", "-o", "src/ok.yaml")
    assert (code, err) == (1, "src/ok.yaml: 输出文件与输入文件相同，为防止覆盖原始材料，已停止；请换一个输出路径\n")
    code, _, err = call("score", "via.yaml", "--rubric", "rubric.yaml", "-o", "via.yaml")
    assert code == 1 and (src / "via.yaml").is_symlink()


def test_batch_replaces_symlinked_results_without_touching_their_targets(src: Path) -> None:
    victim = src / "victim.json"
    victim.write_text("旧内容\n", encoding="utf-8")
    (src / "out" / "results").mkdir(parents=True)
    (src / "out" / "results" / "ok.json").symlink_to(victim)
    (src / "out" / "summary.csv").symlink_to(victim)
    code, _, err = batch("out")
    assert code == 0, err
    assert victim.read_text(encoding="utf-8") == "旧内容\n"
    assert not (src / "out" / "results" / "ok.json").is_symlink()
    assert not (src / "out" / "summary.csv").is_symlink()
