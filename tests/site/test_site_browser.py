"""The whole flow in a real browser: Debian's chromium driven by Playwright, against ``scoring serve``
running as its own process. An administrator creates a round and two bodies; a body signs in, fills in
the seed-001 submission through the form, is shown an error next to the field it typed wrong, fixes it,
sees the provisional score ``scoring score`` gives (57) and submits; the evaluator reviews one item and
downloads the summary, which matches ``scoring batch`` run on the stored files byte for byte.

Set ``ZWGK_SCREENSHOTS=docs/images`` to also write the README's screenshots (1366×768).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from site_helpers import BODIES_CSV, ROOT, RUBRIC_ID, SEED, seed_values, served

from scoring.site.core import Site

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (bash scripts/setup.sh)"),
]
SHOTS = os.environ.get("ZWGK_SCREENSHOTS", "")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scoring", *args], capture_output=True, text=True, cwd=ROOT, check=False
    )


def shot(page: object, name: str, full: bool = False) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=full)  # type: ignore[attr-defined]


def test_admin_round_body_fills_seed_submits_review_download(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = cli("serve", "--data", str(data), "--create-admin", "王敏")
    assert made.returncode == 0, made.stderr
    password = re.search(r"一次性密码：(\S+)", made.stdout).group(1)  # type: ignore[union-attr]
    expected = json.loads(cli("score", str(SEED), "--format", "json").stdout)
    assert expected["score"]["final"] == 57
    (tmp_path / "bodies.csv").write_text(BODIES_CSV, encoding="utf-8")
    site = Site(data)

    with served(data) as url, playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            office = browser.new_context(
                viewport={"width": 1366, "height": 768}, accept_downloads=True, locale="zh-CN"
            ).new_page()
            # -- the administrator: first sign-in, new password, a round with the shipped rubric, two bodies
            office.goto(url)
            office.fill("input[name=username]", "王敏")
            office.fill("input[name=password]", password)
            office.click("button:has-text('登录')")
            office.fill("input[name=new]", "a-new-admin-password")
            office.fill("input[name=again]", "a-new-admin-password")
            office.click("button:has-text('保存')")
            office.click("text=新建考核")
            office.fill("input[name=title]", "2017年度政务公开工作考核评价")
            office.fill("input[name=year]", "2017")
            office.fill("input[name=deadline]", "2018-01-31")
            office.select_option("select[name=shipped]", RUBRIC_ID)
            office.click("button:has-text('创建')")
            office.set_input_files("input[name=bodies_file]", str(tmp_path / "bodies.csv"))
            office.click("button:has-text('导入并生成账号')")
            rows = office.locator("#credentials tbody tr")
            assert rows.count() == 2
            username = rows.nth(0).locator("td").nth(1).inner_text()
            body_password = rows.nth(0).locator("td").nth(2).inner_text()
            other_link = rows.nth(1).locator("td").nth(3).inner_text()
            assert rows.nth(0).locator("td").nth(0).inner_text() == "鄂托克前旗住房和城乡规划建设局"

            # -- the body: signs in, types the seed's figures, one wrong
            body = browser.new_context(
                viewport={"width": 1366, "height": 768}, accept_downloads=True, locale="zh-CN"
            ).new_page()
            body.goto(url + "login")
            body.fill("input[name=username]", username)
            body.fill("input[name=password]", body_password)
            body.click("button:has-text('登录')")
            assert body.url.endswith("/body")
            values = seed_values(site)
            values["f.published_total"] = "3O"  # a letter O for a zero, as typed in a hurry
            fill_form(body, values)
            wrong = body.locator('[data-msg="f.published_total"] p.err')
            wrong.wait_for()
            message = wrong.inner_text()
            assert "3O" in message
            # the same words as `scoring validate` on a file with that value
            typo = tmp_path / "typo.yaml"
            typo.write_text(
                SEED.read_text(encoding="utf-8").replace("published_total: 30 ", 'published_total: "3O"'),
                encoding="utf-8",
            )
            said = cli("validate", str(typo))
            assert (
                said.returncode == 1
                and f"字段 facts.published_total（主动公开政府信息总数（不同渠道发相同信息计1条））：{message}\n"
                in said.stderr
            ), said.stderr
            assert body.locator("#score").inner_text() == "—"  # cannot be scored yet
            body.evaluate(
                "() => { document.querySelector('[name=\"f.published_total\"]').scrollIntoView(); window.scrollBy(0, -260); }"
            )
            shot(body, "body-form-error.png")
            body.fill('[name="f.published_total"]', "30")
            wait_saved(body)
            assert body.locator('[data-msg="f.published_total"] p.err').count() == 0
            assert "门户网站公开数" in body.locator('[data-msg="f.published_total"] p.warn').inner_text()
            assert body.locator("#score").inner_text() == "57"
            body.evaluate("() => document.getElementById('sec-scores').scrollIntoView()")
            shot(body, "body-scores.png")
            body.evaluate("() => window.scrollTo(0, 0)")
            shot(body, "body-form.png")
            # a reload shows what was saved: nothing typed is lost
            body.reload()
            assert body.locator('[name="f.published_total"]').input_value() == "30"
            assert body.locator("#score").inner_text() == "57"
            body.click("text=检查结果与得分明细")
            assert body.locator("#final-score").inner_text() == "57"
            assert body.locator(".findings tr.w").count() == 7  # the 7 reminders of `scoring validate`
            shot(body, "findings.png")
            with body.expect_download() as pdf:
                body.click("text=暂定评分表（PDF）")
            assert Path(pdf.value.path()).read_bytes()[:5] == b"%PDF-"
            body.click("#submit-btn")
            assert body.locator("#status-tag").inner_text() == "已提交"
            assert body.locator("fieldset[disabled]").count() == 1

            # the second body uses its one-time link
            other = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
            other.goto(other_link)
            other.click("button:has-text('确认登录')")
            other.fill('[name="f.published_total"]', "12")
            wait_saved(other)
            # a dropped connection: typed offline, the tab closed before it came back; nothing is lost
            other.context.set_offline(True)
            other.fill('[name="f.published_normative"]', "7")
            other.wait_for_function("() => document.getElementById('saved').textContent.startsWith('网络中断')")
            other.context.set_offline(False)
            other.close()
            other = other.context.new_page()
            other.goto(url + "body")  # the copy kept in this browser is restored and sent
            wait_saved(other)
            other.reload()
            assert other.locator('[name="f.published_normative"]').input_value() == "7"
            assert other.locator('[name="f.published_total"]').input_value() == "12"
            other.goto(other_link)
            other.click("button:has-text('确认登录')")
            assert "链接无效" in other.content()  # a link works once

            # -- the evaluator: dashboard, review of one item, downloads
            office.goto(url + "office/rounds/1")
            statuses = office.locator("#bodies tbody tr td:nth-child(4)").all_inner_texts()
            assert sorted(statuses) == ["填报中", "已提交"]
            shot(office, "dashboard.png")
            office.click("#bodies tbody tr:has-text('住房和城乡规划建设局') >> text=核定")
            office.fill('[name="points.task"]', "4")  # the manual item 任务, awaiting the office's decision
            office.fill('[name="reason.task"]', "按时完成市政务公开办交办任务；统计表有一处数字前后矛盾，扣 1 分")
            office.click("button:has-text('保存核定')")
            assert office.locator("#reviewed-total").inner_text() == "61"
            shot(office, "review.png")
            downloads = {}
            for kind, label in (
                ("csv", "汇总 CSV"),
                ("xlsx", "汇总 Excel"),
                ("pdf", "汇总 PDF"),
                ("zip", "全部评分表（ZIP）"),
            ):
                office.goto(url + "office/rounds/1")
                with office.expect_download() as download:
                    office.click(f"text={label}")
                downloads[kind] = Path(download.value.path()).read_bytes()
        finally:
            browser.close()

    # -- the stored files are the project's formats: `scoring batch` on them gives the same bytes
    folder = data / "rounds" / "1"
    stored = folder / "submitted" / "body-0001.yaml"
    scored = json.loads(cli("score", str(stored), "--rubric", str(folder / "rubric.yaml"), "--format", "json").stdout)
    assert scored["score"]["final"] == expected["score"]["final"] == 57
    assert [n["points"] for n in scored["nodes"]] == [n["points"] for n in expected["nodes"]]
    assert cli("validate", str(folder / "reviews" / "body-0001.review.yaml")).returncode in (0, 1)
    out = tmp_path / "batch"
    run = cli(
        "batch",
        str(folder / "submitted"),
        "--rubric",
        str(folder / "rubric.yaml"),
        "--review-dir",
        str(folder / "reviews"),
        "-o",
        str(out),
        "--date",
        dt.date.today().isoformat(),
    )
    assert run.returncode == 0, run.stderr
    assert downloads["csv"] == (out / "summary.csv").read_bytes()
    assert downloads["xlsx"] == (out / "summary.xlsx").read_bytes()
    assert downloads["pdf"] == (out / "summary.pdf").read_bytes()
    with zipfile.ZipFile(io.BytesIO(downloads["zip"])) as archive:
        assert archive.read("summary.csv") == (out / "summary.csv").read_bytes()
        assert archive.read("scorecards/body-0001.pdf") == (out / "scorecards" / "body-0001.pdf").read_bytes()
    assert ",61,61," in (out / "summary.csv").read_text(encoding="utf-8-sig")


def fill_form(page: object, values: dict[str, object]) -> None:
    """Type every value into the generated form as a person would (selects, check boxes, evidence rows)."""
    p = page  # type: ignore[assignment]
    evidence_rows: dict[str, int] = {}
    for name in values:
        if name.startswith("e:"):
            _e, node, index, _part = name.split(":")
            evidence_rows[node] = max(evidence_rows.get(node, 0), int(index) + 1)
    for node, count in evidence_rows.items():
        box = p.locator(f'.ev-rows[data-node="{node}"]')
        box.locator("xpath=..").evaluate("d => d.open = true")
        while box.locator(".ev-row").count() < count:
            p.locator(f'.add-ev[data-node="{node}"]').click()
    for name, value in values.items():
        field = p.locator(f'[name="{name}"]')
        if isinstance(value, list):
            for item in value:
                p.locator(f'input[name="{name}"][value="{item}"]').check()
        elif field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(str(value))
        else:
            field.fill(str(value))
    wait_saved(p)


def wait_saved(page: object) -> None:
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => document.getElementById('saved').textContent.startsWith('已自动保存')", timeout=30000
    )
