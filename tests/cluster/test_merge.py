"""``scoring batch --merge``: the shards' outputs become the folder of one unsharded run, byte for byte."""

from __future__ import annotations

import io
import shutil

import pytest

from scoring.cli import run

from .helpers import batch, digest


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory):
    from .helpers import make_inputs

    root = tmp_path_factory.mktemp("shards")
    make_inputs(root)
    for i in (1, 2, 3):
        done = batch(root, f"s{i}", "--shard", f"{i}/3", "--jobs", "2")
        assert done.returncode in (0, 1), done.stderr
    return root


def merge(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(["batch", *args], out, err)
    return code, out.getvalue(), err.getvalue()


def test_merged_shards_are_the_unsharded_run_byte_for_byte(shards, reference):
    root = shards
    code, out, err = merge("--merge", str(root / "s3"), str(root / "s1"), str(root / "s2"), "-o", str(root / "all"))
    assert code == reference["code"], err
    assert digest(root / "all") == digest(reference["out"])  # summary CSV/XLSX/PDF, errors.txt, cards, results
    assert "批量评分完成：共 14 个文件" in out


def test_a_missing_share_is_refused(shards, tmp_path):
    code, _, err = merge("--merge", str(shards / "s1"), str(shards / "s3"), "-o", str(tmp_path / "all"))
    assert code == 1 and "缺少第 2 份（共 3 份）" in err
    assert not (tmp_path / "all").exists()


def test_the_same_share_twice_is_refused(shards, tmp_path):
    shutil.copytree(shards / "s1", tmp_path / "copy")
    code, _, err = merge("--merge", str(shards / "s1"), str(tmp_path / "copy"), "-o", str(tmp_path / "all"))
    assert code == 1 and "是同一份（第 1/3 份）" in err


def test_an_unsharded_run_or_an_interrupted_one_cannot_be_merged(shards, reference, tmp_path):
    code, _, err = merge("--merge", str(reference["out"]), "-o", str(tmp_path / "all"))
    assert code == 1 and "不分片的批量评分输出" in err
    (tmp_path / "empty").mkdir()
    code, _, err = merge("--merge", str(tmp_path / "empty"), "-o", str(tmp_path / "all"))
    assert code == 1 and "没有 rows.jsonl" in err


def test_a_damaged_rows_file_is_named_with_its_line(shards, tmp_path):
    for i in (1, 2, 3):
        shutil.copytree(shards / f"s{i}", tmp_path / f"s{i}")
    rows = tmp_path / "s2" / "rows.jsonl"
    lines = rows.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1][:20]
    rows.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = merge("--merge", *(str(tmp_path / f"s{i}") for i in (1, 2, 3)), "-o", str(tmp_path / "all"))
    assert code == 1 and f"{rows}:2: 不是一行 JSON" in err and "Traceback" not in err


def test_the_merge_may_not_write_into_a_shard(shards):
    code, _, err = merge("--merge", str(shards / "s1"), str(shards / "s2"), "-o", str(shards / "s1"))
    assert code == 1 and "不能是某一份分片的输出文件夹" in err


def test_merge_and_a_source_folder_together_are_a_usage_error(shards):
    code, _, err = merge(str(shards / "src"), "--merge", str(shards / "s1"), "-o", str(shards / "x"))
    assert code == 2 and "--merge 只汇总已有的分片输出" in err
