"""The site's parts against the CLI: the form's YAML, uploads, rounds, lists of bodies, review, return, the database."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from site_helpers import CREDENTIALS, ROOT, SEED, World, seed_values

from scoring.cli import run
from scoring.site import db
from scoring.site.core import Site, SiteError, read_table
from scoring.site.forms import form_spec, from_document, to_yaml
from scoring.yamlio import load_text


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path / "data")


def cli_json(path: Path, *extra: str) -> dict:
    out, err = io.StringIO(), io.StringIO()
    run(["score", str(path), "--format", "json", *extra], out, err)
    return json.loads(out.getvalue())


def test_the_forms_yaml_scores_as_the_seed(world: World, tmp_path: Path) -> None:
    _app, rubric, _spec = world.site.app(1)
    text, _where = to_yaml(rubric, 2017, seed_values(world.site))
    (tmp_path / "form.yaml").write_text(text, encoding="utf-8")
    ours, seed = cli_json(tmp_path / "form.yaml"), cli_json(SEED)
    assert ours["score"] == seed["score"] and ours["score"]["final"] == 57
    strip = lambda nodes: [{k: v for k, v in n.items() if k != "evidence"} for n in nodes]  # noqa: E731
    assert strip(ours["nodes"]) == strip(seed["nodes"])
    assert [n["evidence"] for n in ours["nodes"]] == [n["evidence"] for n in seed["nodes"]]
    # and back: the YAML read into the form gives the same values (fields are trimmed, as typed into a form)
    filled = lambda v: {k: x.strip() if isinstance(x, str) else x for k, x in v.items() if x not in ("", [])}  # noqa: E731
    assert filled(from_document(rubric, load_text(text).data)) == filled(seed_values(world.site))


def test_the_statistics_table_in_row_order_and_every_fact_once(world: World) -> None:
    _app, rubric, spec = world.site.app(1)
    stats = [s for s in spec.sections if s.statistics]
    assert stats, "the 统计表 group"
    rows = [int(f.fact.row) for f in stats[0].fields]
    assert rows == sorted(rows) and rows[0] == 2
    names = [f.fact.id for s in spec.sections for f in s.fields]
    assert sorted(names) == sorted(f.id for f in rubric.facts)
    assert [c.node.id for c in spec.criteria] == [n.id for n in rubric.all_nodes()]


# U+2028 is left out: the loader refuses it (it would shift line numbers), checked at the end of the test
HOSTILE = '单位\n  facts: {x: 1}\r"}{{ 7*7 }}<script>alert(1)</script>\ufeff'


def test_hostile_text_reads_back_exactly_and_is_escaped(world: World) -> None:
    _app, rubric, _spec = world.site.app(1)
    values = {"agency.name": HOSTILE, "remarks": HOSTILE, "e:org.head:0:note": HOSTILE}
    text, _where = to_yaml(rubric, 2017, values)
    data = load_text(text).data
    assert data["agency"]["name"] == HOSTILE and data["remarks"] == HOSTILE
    assert data["evidence"]["org.head"][0]["note"] == HOSTILE
    assert set(data) == {
        "rubric",
        "agency",
        "year",
        "submitted",
        "facts",
        "self_scores",
        "self_total",
        "evidence",
        "remarks",
    }
    client, token = world.bodies[0]
    client.post("/body/save", data={**values, "csrf": token})
    page = client.get("/body").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "49" not in page.split("remarks")[-1][:200]
    answer = client.post("/body/save", data={"agency.name": "甲\x00乙", "csrf": token}).json()
    assert any("控制字符" in m for m in answer["by_field"]["agency.name"])
    answer = client.post("/body/save", data={"agency.name": "甲\u2028乙", "csrf": token}).json()
    assert any("U+2028" in m for m in answer["by_field"]["agency.name"])


def test_a_wrong_figure_gets_the_clis_message_next_to_its_field(world: World, tmp_path: Path) -> None:
    client, token = world.bodies[0]
    values = {**seed_values(world.site), "f.published_total": "３０"}  # full-width digits
    answer = client.post("/body/save", data={**values, "csrf": token}).json()
    assert answer["score"] is None and answer["errors"] >= 1
    shown = answer["by_field"]["f.published_total"]
    conn = world.site.connect()
    last = conn.execute("SELECT username, action, body_id, detail FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    conn.close()
    assert (last["username"], last["action"], last["body_id"]) == ("r1-0001", "保存草稿", 1)
    assert json.loads(last["detail"])["changes"]["f.published_total"] == ["", "３０"]  # who, what, before and after
    typo = tmp_path / "typo.yaml"
    typo.write_text(
        SEED.read_text(encoding="utf-8").replace("published_total: 30 ", 'published_total: "３０"'), encoding="utf-8"
    )
    out, err = io.StringIO(), io.StringIO()
    assert run(["validate", str(typo)], out, err) == 1
    assert all(message in err.getvalue() for message in shown), (shown, err.getvalue())


def test_upload_uses_the_cli_loader(world: World, tmp_path: Path) -> None:
    client, token = world.bodies[0]
    r = client.post(
        "/body/upload", data={"csrf": token}, files={"file": ("自评.yaml", SEED.read_bytes(), "application/x-yaml")}
    )
    assert r.url.path == "/body"
    assert client.post("/body/save", data={**seed_values(world.site), "csrf": token}).json()["score"] == "57"
    bad = SEED.read_text(encoding="utf-8").replace("published_total: 30", "published_totl: 30")
    r = client.post(
        "/body/upload", data={"csrf": token}, files={"file": ("../../坏文件.yaml", bad.encode(), "application/x-yaml")}
    )
    assert r.status_code == 400
    assert "坏文件.yaml:" in r.text and "published_totl" in r.text and "../" not in r.text
    r = client.post("/body/upload", data={"csrf": token}, files={"file": ("a.exe", b"MZ", "application/octet-stream")})
    assert r.status_code == 400 and "只接收 .yaml" in r.text
    r = client.post(
        "/body/upload",
        data={"csrf": token},
        files={"file": ("big.yaml", b"#" * (3 * 1024 * 1024), "application/x-yaml")},
    )
    assert r.status_code == 413


def test_submit_refused_with_errors_then_return_and_resubmit(world: World) -> None:
    client, token = world.bodies[0]
    client.post("/body/save", data={"f.published_total": "30", "csrf": token})
    r = client.post("/body/submit", data={"csrf": token})
    assert r.status_code == 400 and "改正后再提交" in r.text and "必填项" in r.text
    client.post("/body/save", data={**seed_values(world.site), "csrf": token})
    assert client.post("/body/submit", data={"csrf": token}).url.path == "/body"
    stored = world.data / "rounds" / "1" / "submitted" / "body-0001.yaml"
    first = stored.read_bytes()
    admin = world.admin
    r = admin.post("/office/bodies/1/return", data={"csrf": world.admin_csrf, "comment": "请补充佐证材料"})
    assert r.url.path == "/office/rounds/1"
    page = client.get("/body").text
    assert "请补充佐证材料" in page and "已退回" in page
    assert (
        client.post("/body/save", data={**seed_values(world.site), "remarks": "已补充", "csrf": token}).status_code
        == 200
    )
    assert client.post("/body/submit", data={"csrf": token}).url.path == "/body"
    conn = world.site.connect()
    kept = conn.execute("SELECT yaml FROM submissions WHERE body_id = 1 ORDER BY id").fetchall()
    conn.close()
    assert kept[0]["yaml"].encode() == first and len(kept) == 2  # every submitted version is kept
    assert "已补充" in stored.read_text(encoding="utf-8")


def test_review_checked_by_the_review_reader(world: World) -> None:
    client, token = world.bodies[0]
    client.post("/body/save", data={**seed_values(world.site), "csrf": token})
    client.post("/body/submit", data={"csrf": token})
    admin = world.admin
    r = admin.post("/office/bodies/1/review", data={"csrf": world.admin_csrf, "points.task": "99", "reason.task": "x"})
    assert r.status_code == 400 and "满分" in r.text
    r = admin.post("/office/bodies/1/review", data={"csrf": world.admin_csrf, "points.task": "4"})
    assert r.status_code == 400 and "没有写核定理由" in r.text
    r = admin.post(
        "/office/bodies/1/review", data={"csrf": world.admin_csrf, "points.task": "4", "reason.task": "完成任务"}
    )
    assert r.status_code == 200 and 'id="reviewed-total">61<' in r.text
    # a verified fact: the wrong type is the review reader's message; a right one is re-scored
    verified = {"csrf": world.admin_csrf, "points.task": "4", "reason.task": "完成任务", "fact.0": "online_service"}
    r = admin.post("/office/bodies/1/review", data={**verified, "fact_value.0": "也许", "fact_reason.0": "电话核实"})
    assert r.status_code == 400 and "应为" in r.text and "也许" in r.text, r.text[-3000:]
    r = admin.post("/office/bodies/1/review", data={**verified, "fact_value.0": "是", "fact_reason.0": "网站抽查"})
    assert r.status_code == 200 and "网站抽查" in r.text
    assert 'id="reviewed-total">61<' not in r.text  # the verified fact changed the reviewed score
    review = world.data / "rounds" / "1" / "reviews" / "body-0001.review.yaml"
    out, err = io.StringIO(), io.StringIO()
    stored = world.data / "rounds" / "1" / "submitted" / "body-0001.yaml"
    rubric = world.data / "rounds" / "1" / "rubric.yaml"
    pdf = world.data / "x.pdf"
    assert (
        run(["render", str(stored), "--rubric", str(rubric), "--review", str(review), "-o", str(pdf)], out, err) == 0
    ), err.getvalue()
    assert admin.post("/office/bodies/1/approve", data={"csrf": world.admin_csrf}).status_code == 200
    dash = admin.get("/office/rounds/1?status=approved").text
    assert "住房和城乡规划建设局" in dash and "发展和改革局" not in dash
    reminders = admin.get("/office/rounds/1/reminders").text
    assert "发展和改革局" in reminders and "住房和城乡规划建设局" not in reminders
    listed = admin.get("/office/rounds/1/reminders.csv").content.decode("utf-8-sig").splitlines()
    assert listed == [
        "单位名称,地区,层级,状态,联系人,最后保存（UTC）,截止日期",
        "鄂托克前旗发展和改革局,内蒙古自治区鄂尔多斯市鄂托克前旗,旗县级部门,未开始,李四,,2018-01-31",
    ]


def test_round_with_a_bad_rubric_upload_shows_the_clis_messages(world: World) -> None:
    bad = (
        (ROOT / "rubrics" / "ordos-otqq-zjj-2017.yaml")
        .read_text(encoding="utf-8")
        .replace("total: 100", "total: 一百", 1)
    )
    r = world.admin.post(
        "/office/rounds/new",
        data={"csrf": world.admin_csrf, "title": "t", "year": "2017", "deadline": "2018-01-31"},
        files={"rubric_file": ("细则.yaml", bad.encode(), "application/x-yaml")},
    )
    assert r.status_code == 400 and "细则.yaml:" in r.text and "未创建" in r.text
    r = world.admin.post(
        "/office/rounds/new",
        data={
            "csrf": world.admin_csrf,
            "title": "t",
            "year": "二〇一七",
            "deadline": "2018-01-31",
            "shipped": "ordos-otqq-zjj-2017",
        },
    )
    assert r.status_code == 400 and "考核年度" in r.text


def test_lists_of_bodies_csv_gbk_and_xlsx() -> None:
    rows = read_table("单位名称,地区\n甲局,某市\n".encode("gb18030"), "名单.csv")
    assert rows == [{"name": "甲局", "region": "某市", "level": "", "contact": ""}]
    book = openpyxl.Workbook()
    book.active.append(["名称", "地区", "层级", "联系人"])
    book.active.append(["乙局", "某县", "县级部门", "王五"])
    raw = io.BytesIO()
    book.save(raw)
    assert read_table(raw.getvalue(), "名单.xlsx")[0]["contact"] == "王五"
    with pytest.raises(SiteError, match="名称"):
        read_table("地区\n某市\n".encode(), "名单.csv")
    with pytest.raises(SiteError) as caught:
        read_table("名称,地区\n,某市\n".encode(), "名单.csv")
    assert caught.value.problems == ["名单.csv：第 2 行“名称”为空"]


def test_database_wal_and_migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "site.db"
    # a database made by the first release (schema 1), with a user in it
    monkeypatch.setattr(db, "MIGRATIONS", db.MIGRATIONS[:1])
    assert db.migrate(path) == 1
    conn = db.connect(path)
    conn.execute(
        "INSERT INTO users (username, display, role, password_hash, created) VALUES ('a', 'a', 'admin', 'x', 'now')"
    )
    conn.close()
    monkeypatch.undo()
    assert db.migrate(path) == 2 and db.migrate(path) == 2  # upgraded once, then nothing to do
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [v for (v,) in conn.execute("SELECT version FROM migrations ORDER BY version")] == [1, 2]
    assert conn.execute("SELECT username FROM users").fetchall() == [("a",)]
    assert conn.execute("SELECT COUNT(*) FROM attachments").fetchone() == (0,)
    conn.close()


def test_create_admin_prints_a_one_time_password(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "scoring", "serve", "--data", str(tmp_path / "d"), "--create-admin", "管理员"]
    first = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert first.returncode == 0 and "一次性密码：" in first.stdout
    again = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert again.returncode == 2 and "已存在" in again.stderr and "Traceback" not in again.stderr
    site = Site(tmp_path / "d")
    conn = site.connect()
    row = conn.execute("SELECT password_hash, must_change FROM users").fetchone()
    conn.close()
    assert row["password_hash"].startswith("$argon2id$") and row["must_change"] == 1


def test_form_spec_needs_no_per_rubric_code(tmp_path: Path) -> None:
    from scoring.registry import Rubrics

    for name in ("annual-report-2021.yaml", "ordos-otqq-zjj-2018.yaml"):
        rubric = Rubrics([]).by_ref(str(ROOT / "rubrics" / name))
        spec = form_spec(rubric)
        text, _where = to_yaml(rubric, rubric.year, {})
        assert load_text(text).data["rubric"]["id"] == rubric.id and spec.criteria


def test_veto_confirmed_or_dismissed_in_review(tmp_path: Path) -> None:
    world = World(tmp_path / "data")
    r = world.admin.post(
        "/office/rounds/new",
        data={
            "csrf": world.admin_csrf,
            "title": "2018年度",
            "year": "2018",
            "deadline": "2019-01-31",
            "shipped": "ordos-otqq-zjj-2018",
        },
    )
    assert r.url.path == "/office/rounds/2"
    r = world.admin.post(
        "/office/rounds/2/bodies",
        data={"csrf": world.admin_csrf},
        files={"bodies_file": ("b.csv", "名称\n鄂托克前旗住房和城乡建设局\n".encode(), "text/csv")},
    )
    (username, password, _link) = CREDENTIALS.findall(r.text)[0]
    client = world.client()
    token = world.sign_in(client, username, password)
    text = (ROOT / "examples" / "batch" / "2018-otqq-zjj.yaml").read_text(encoding="utf-8")
    leaked = text.replace("leak_incident: 否", "leak_incident: 是")
    r = client.post(
        "/body/upload", data={"csrf": token}, files={"file": ("2018.yaml", leaked.encode(), "application/x-yaml")}
    )
    assert r.url.path == "/body"
    findings = client.get("/body/findings").text
    assert "一票否决" in findings
    assert client.post("/body/submit", data={"csrf": token}).url.path == "/body"
    page = world.admin.get("/office/bodies/3").text
    assert "触发：" in page and "确认否决" in page
    r = world.admin.post("/office/bodies/3/review", data={"csrf": world.admin_csrf, "veto.leak": "dismissed"})
    assert r.status_code == 400 and "没有写理由" in r.text
    r = world.admin.post(
        "/office/bodies/3/review",
        data={"csrf": world.admin_csrf, "veto.leak": "dismissed", "veto_reason.leak": "核实为误填，未发生失泄密"},
    )
    review = (world.data / "rounds" / "2" / "reviews" / "body-0003.review.yaml").read_text(encoding="utf-8")
    assert "leak:\n    applies: 否\n" in review
    dismissed = r.text
    r = world.admin.post(
        "/office/bodies/3/review",
        data={"csrf": world.admin_csrf, "veto.leak": "applies", "veto_reason.leak": "确有失泄密"},
    )
    assert "不合格" in r.text.split('id="reviewed-total"')[1][:200]
    assert "不合格" not in dismissed.split('id="reviewed-total"')[1][:200]


def test_serve_on_a_busy_port_says_so(tmp_path: Path) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        cmd = [sys.executable, "-m", "scoring", "serve", "--data", str(tmp_path / "d"), "--port", str(port)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 2 and f"127.0.0.1:{port} 上启动网站：已被占用" in done.stderr
    assert "Traceback" not in done.stderr and "ERROR" not in done.stderr


def test_upload_keeps_evidence_attachment_names_and_checks_the_year(world: World) -> None:
    client, token = world.bodies[0]
    text = SEED.read_text(encoding="utf-8").replace(
        "    - doc: 局务会议研究决定\n", "    - doc: 局务会议研究决定\n      file: 局务会议纪要.pdf\n", 1
    )
    r = client.post(
        "/body/upload", data={"csrf": token}, files={"file": ("s.yaml", text.encode(), "application/x-yaml")}
    )
    assert r.url.path == "/body"
    draft = client.get("/body/draft.yaml").text
    assert '      file: "局务会议纪要.pdf"\n' in draft
    wrong_year = SEED.read_text(encoding="utf-8").replace("year: 2017", "year: 2018", 1)
    r = client.post(
        "/body/upload", data={"csrf": token}, files={"file": ("s.yaml", wrong_year.encode(), "application/x-yaml")}
    )
    assert r.status_code == 400 and "考核年度" in r.text


def test_hostile_rubric_title_and_body_names_are_shown_as_text(world: World) -> None:
    rubric = (ROOT / "rubrics" / "ordos-otqq-zjj-2017.yaml").read_text(encoding="utf-8")
    title = "<img src=x onerror=alert(1)>{{ 7*7 }}"
    hostile = re.sub(r"(?m)^  title: .*$", f"  title: {json.dumps(title, ensure_ascii=False)}", rubric, count=1)
    hostile = hostile.replace("id: ordos-otqq-zjj-2017", "id: hostile-2017", 1)
    r = world.admin.post(
        "/office/rounds/new",
        data={"csrf": world.admin_csrf, "title": "<b>考核</b>", "year": "2017", "deadline": "2018-01-31"},
        files={"rubric_file": ("r.yaml", hostile.encode(), "application/x-yaml")},
    )
    assert r.url.path == "/office/rounds/2", r.text
    names = '名称,联系人\n<script>alert(1)</script>局,=HYPERLINK("http://x")\n'
    world.admin.post(
        "/office/rounds/2/bodies",
        data={"csrf": world.admin_csrf},
        files={"bodies_file": ("b.csv", names.encode(), "text/csv")},
    )
    for page in (world.admin.get("/office").text, world.admin.get("/office/rounds/2").text):
        assert "<img src=x" not in page and "<script>alert" not in page and "<b>考核" not in page
        assert "&lt;b&gt;考核&lt;/b&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;{{ 7*7 }}" in page
    reminders = world.admin.get("/office/rounds/2/reminders.csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in reminders


def test_dashboard_pages_filters_and_sorts(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = "".join(f"第{i:03d}号单位,某地\n" for i in range(150))
    world.admin.post(
        "/office/rounds/1/bodies",
        data={"csrf": world.admin_csrf},
        files={"bodies_file": ("b.csv", ("名称,地区\n" + rows).encode(), "text/csv")},
    )
    first = world.admin.get("/office/rounds/1").text
    assert "共 152 个单位，第 1 / 2 页" in first and first.count("<td>第") == 100  # by name: 第… before 鄂…
    second = world.admin.get("/office/rounds/1?page=2").text
    assert second.count("<td>第") == 50 and "第149号单位" in second and "住房和城乡规划建设局" in second
    found = world.admin.get("/office/rounds/1?q=第007").text
    assert "共 1 个单位" in found and "第007号单位" in found
    client, token = world.bodies[0]
    client.post("/body/save", data={**seed_values(world.site), "csrf": token})
    by_score = world.admin.get("/office/rounds/1?sort=score").text
    assert by_score.index("住房和城乡规划建设局") < by_score.index("第000号单位")
    drafts = world.admin.get("/office/rounds/1?status=draft").text
    assert "共 1 个单位" in drafts and "住房和城乡规划建设局" in drafts


def test_excel_workbook_upload_and_download(world: World, tmp_path: Path) -> None:
    """The rubric's workbook (scoring/workbook/) filled with the seed: uploaded, read by the CLI's loader,
    scored 57; what was entered comes back as a workbook the CLI scores the same."""
    from scoring.workbook.generate import workbook_bytes
    from scoring.yamlio import load_file

    _app, rubric, _spec = world.site.app(1)
    client, token = world.bodies[0]
    book = workbook_bytes(rubric, load_file(SEED).data)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    r = client.post("/body/upload", data={"csrf": token}, files={"file": ("自评.xlsx", book, xlsx)})
    assert r.url.path == "/body", r.text
    assert 'id="score">57<' in r.text
    back = client.get("/body/draft.xlsx")
    assert back.status_code == 200 and back.content[:2] == b"PK"
    (tmp_path / "back.xlsx").write_bytes(back.content)
    assert cli_json(tmp_path / "back.xlsx")["score"]["final"] == 57
    broken = client.post(
        "/body/upload", data={"csrf": token}, files={"file": ("坏.xlsx", b"PK\x03\x04 not a zip", xlsx)}
    )
    assert broken.status_code == 400 and "坏.xlsx" in broken.text and "未导入" in broken.text


def test_review_sheet_download_is_the_clis_review_template(world: World) -> None:
    client, token = world.bodies[0]
    client.post("/body/save", data={**seed_values(world.site), "csrf": token})
    assert world.admin.get("/office/bodies/1/review.xlsx").status_code == 404  # nothing submitted yet
    client.post("/body/submit", data={"csrf": token})
    r = world.admin.get("/office/bodies/1/review.xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    stored = world.data / "rounds" / "1" / "submitted" / "body-0001.yaml"
    rubric = world.data / "rounds" / "1" / "rubric.yaml"
    sheet = world.data / "cli.xlsx"
    out, err = io.StringIO(), io.StringIO()
    assert run(["review-template", str(stored), "--rubric", str(rubric), "--xlsx", "-o", str(sheet)], out, err) == 0
    assert r.content == sheet.read_bytes()
