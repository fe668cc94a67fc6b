"""生成 examples/batch/：一个可以直接运行 ``scoring batch`` 的批量评分示例文件夹。

用法（在项目根目录）::

    .venv/bin/python examples/tools/make_batch.py          # 重新生成（结果固定，可重复）
    .venv/bin/python examples/tools/make_batch.py --check  # 只检查现有文件是否与生成结果一致

生成什么
--------
* ``rubrics/ordos-otqq-zjj-2018.yaml``：演示用的“2018 年版”细则，由 2017 版
  （``rubrics/ordos-otqq-zjj-2017.yaml``，据种子材料 001 录入的真实细则）机械改出，只有三处改动：
  1. 编号、版本、标题、年度改为 2018；
  2. 评分项 ``platform.new_media``（新媒体平台建设）改编号为 ``platform.media``、改名“政务新媒体建设”
     （用来演示跨版本对比时的编号对照文件）；
  3. 增加一票否决项 ``leak``：年内发生政府信息公开失泄密行为的，等次定为不合格
     （2017 版原细则没有否决项；这一条是为演示否决而虚构的，文件开头有说明）。
* ``examples/compare/ordos-otqq-zjj-2017-to-2018.mapping.yaml``：上面第 2 处改动的编号对照文件。
* ``examples/batch/*.yaml``：16 个单位（鄂尔多斯市各旗区的住建、发改、教体、民政、卫计、交通等部门，
  单位是虚构的，只有鄂托克前旗住房和城乡规划建设局 2017 年那一份是真实材料）× 2017、2018 两个年度，
  共 32 份自评材料：
  - 2017 年的 16 份按 2017 版细则，2018 年的 16 份按 2018 版细则；
  - 事实数据以真实示例 ``examples/001-otqq-zjj-2017.yaml`` 为底本，按每个单位的“工作水平”
    （固定随机种子抽取）随机改动：是/否项、统计数、栏目清单，个别单位留空几项；
  - 自评分按评分项逐项填写：大多数单位照实自评（等于系统核算分），5 个单位有意“自评虚高”
    （未达标的几项也自评满分），2 个单位自评总分与各项之和对不上；2 个单位统计表前后矛盾（校验错误）；
  - 2018 年有 3 个单位填报“发生失泄密”，触发一票否决；
  - 2 份故意写坏：``2018-hjq-mzj.yaml`` 有 YAML 语法错误（Tab 缩进），``2018-wsq-fgw.yaml``
    写了细则中没有的事实（拼错的 ``training_sessions``）；批量评分会报告这两份并继续。
* ``examples/batch/reviews/*.review.yaml``：4 份核定记录（``scoring batch --review-dir``），演示核实
  事实、核定分值、人工评定项（任务、加分项）和否决项的决定。

每个生成的文件开头都写明了它的底本和改动。生成结果只取决于本脚本、两个细则和底本示例：
随机数种子固定，重复运行得到完全相同的文件。
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scoring.engine import evaluate  # noqa: E402
from scoring.numbers import fmt  # noqa: E402
from scoring.rubric import rubric_from_text  # noqa: E402
from scoring.submission import submission_from_text  # noqa: E402
from scoring.yamlio import load_file  # noqa: E402

SEED = 20180301
RUBRIC_2017 = ROOT / "rubrics" / "ordos-otqq-zjj-2017.yaml"
RUBRIC_2018 = ROOT / "rubrics" / "ordos-otqq-zjj-2018.yaml"
MAPPING = ROOT / "examples" / "compare" / "ordos-otqq-zjj-2017-to-2018.mapping.yaml"
BASE = ROOT / "examples" / "001-otqq-zjj-2017.yaml"
OUT = ROOT / "examples" / "batch"
RENAMED = {"platform.new_media": "platform.media"}

COUNTIES = {
    "dsq": "东胜区",
    "kbs": "康巴什区",
    "dlt": "达拉特旗",
    "zge": "准格尔旗",
    "otqq": "鄂托克前旗",
    "otq": "鄂托克旗",
    "hjq": "杭锦旗",
    "wsq": "乌审旗",
    "ejh": "伊金霍洛旗",
}
DEPARTMENTS = {
    "zjj": "住房和城乡建设局",
    "fgw": "发展和改革委员会",
    "jtj": "教育体育局",
    "mzj": "民政局",
    "wjj": "卫生和计划生育局",
    "jtys": "交通运输局",
}
# (county, department): 16 bodies; the first is the real one of seed 001
BODIES = [
    ("otqq", "zjj"),
    ("otqq", "fgw"),
    ("otq", "zjj"),
    ("otq", "jtj"),
    ("hjq", "zjj"),
    ("hjq", "mzj"),
    ("wsq", "zjj"),
    ("wsq", "fgw"),
    ("ejh", "zjj"),
    ("ejh", "wjj"),
    ("zge", "zjj"),
    ("zge", "jtys"),
    ("dlt", "zjj"),
    ("dlt", "mzj"),
    ("dsq", "fgw"),
    ("kbs", "jtj"),
]
OVER_CLAIMERS = {
    ("otq", "jtj", 2017),
    ("hjq", "zjj", 2017),
    ("zge", "jtys", 2017),
    ("dlt", "mzj", 2018),
    ("ejh", "wjj", 2018),
}
TOTAL_MISMATCH = {("wsq", "zjj", 2017), ("kbs", "jtj", 2018)}
INCONSISTENT = {("dsq", "fgw", 2017), ("otq", "zjj", 2018)}
VETOED = {("hjq", "zjj", 2018), ("zge", "zjj", 2018), ("dlt", "zjj", 2018)}
SYNTAX_ERROR = ("hjq", "mzj", 2018)
UNKNOWN_FACT = ("wsq", "fgw", 2018)
NEGATIVE = {"leak_incident", "website_criticized"}  # "是" is bad news


def agency_name(county: str, dept: str) -> str:
    if (county, dept) == ("otqq", "zjj"):
        return "鄂托克前旗住房和城乡规划建设局"
    return COUNTIES[county] + DEPARTMENTS[dept]


# -- the 2018 rubric and the mapping file ---------------------------------------------------------------

RUBRIC_2018_HEADER = """\
# yaml-language-server: $schema=../scoring/schemas/rubric.schema.json
#
# ============================================================================================
# 2018年住建局政务公开工作考核评价细则（演示版）
# ============================================================================================
#
# 注意：这不是真实发布的细则。它由 examples/tools/make_batch.py 从 2017 版
# （rubrics/ordos-otqq-zjj-2017.yaml，据种子材料 001 录入）机械生成，供批量评分示例
# （examples/batch/）和跨年度对比（scoring compare）演示使用。请勿手工修改本文件：
# 修改 2017 版后重新运行该脚本即可。
#
# 与 2017 版相比只有三处改动：
#   1. 编号、版本、标题、年度改为 2018；
#   2. 评分项 platform.new_media（新媒体平台建设）改编号为 platform.media，
#      名称改为“政务新媒体建设”，内容和分值不变（编号对照见
#      examples/compare/ordos-otqq-zjj-2017-to-2018.mapping.yaml）；
#   3. 增加一票否决项 leak：年内发生政府信息公开失泄密行为的，等次定为不合格
#      （虚构的演示条款；2017 版原细则没有否决项）。
# 其余指标、分值、事实和校验规则与 2017 版相同（以下内容从 2017 版复制，含其注释）。
# ============================================================================================

"""

VETO_BLOCK = """\
# ============================================================================================
# 一票否决（演示版新增）
# ============================================================================================
vetoes:
  - id: leak
    title: 发生政府信息公开失泄密行为
    when: leak_incident
    message: 年内发生政府信息公开失泄密行为，实行一票否决，等次定为不合格
    effect: grade
    node: system.disclosure.attributes

"""


def _sub_once(pattern: str, replacement: str, text: str, flags: int = re.MULTILINE) -> str:
    new, count = re.subn(pattern, replacement, text, count=0, flags=flags)
    if count != 1:
        raise SystemExit(f"生成 2018 版细则失败：2017 版中“{pattern}”出现 {count} 次（应为 1 次），请更新本脚本")
    return new


def make_rubric_2018(text_2017: str) -> str:
    body = text_2017[text_2017.index("\nrubric:\n") + 1 :]
    body = _sub_once(r"^  id: ordos-otqq-zjj-2017$", "  id: ordos-otqq-zjj-2018", body)
    body = _sub_once(r'^  version: "2017\.1"$', '  version: "2018.1"', body)
    body = _sub_once(
        r"^  title: 2017年住建局政务公开工作考核评价细则$",
        "  title: 2018年住建局政务公开工作考核评价细则（演示版）",
        body,
    )
    body = _sub_once(r"^  year: 2017$", "  year: 2018", body)
    body = _sub_once(
        r"^(\s*)- id: platform\.new_media\n(\s*)title: 新媒体平台建设$",
        r"\1- id: platform.media\n\2title: 政务新媒体建设",
        body,
    )
    if re.search(r"^vetoes:", body, flags=re.MULTILINE):
        raise SystemExit("2017 版细则已有 vetoes，请更新本脚本")
    body = _sub_once(r"^(# =+\n# 数据一致性校验)", VETO_BLOCK + r"\1", body)
    return RUBRIC_2018_HEADER + body


MAPPING_TEXT = """\
# 评分项编号对照：2017 版 → 2018 版（演示版）细则
# 用于 scoring compare 对比同一单位 2017、2018 年的评分：
#   scoring compare examples/batch/2017-otqq-zjj.yaml examples/batch/2018-otqq-zjj.yaml \\
#       --mapping examples/compare/ordos-otqq-zjj-2017-to-2018.mapping.yaml
# 没有列出的评分项按相同编号对应；由 examples/tools/make_batch.py 生成。
mapping:
  from: {id: ordos-otqq-zjj-2017, version: "2017.1"}
  to: {id: ordos-otqq-zjj-2018, version: "2018.1"}
nodes:
  platform.new_media: platform.media    # 新媒体平台建设 → 政务新媒体建设
"""


# -- submissions ---------------------------------------------------------------------------------------


def base_data() -> dict[str, Any]:
    return load_file(BASE).data


def vary_facts(
    rng: random.Random, rubric: Any, base: dict[str, Any], q: float, year: int
) -> tuple[dict[str, Any], list[str]]:
    """The base example's facts, varied for a body of "work level" ``q`` (0..1)."""
    notes: list[str] = []
    facts: dict[str, Any] = {}
    scale = rng.uniform(0.5, 3.0)
    for fact in rubric.facts:
        value = base.get(fact.id)
        if fact.type == "bool":
            good = rng.random() < q
            facts[fact.id] = ("否" if good else "是") if fact.id in NEGATIVE else ("是" if good else "否")
            if fact.id == "leak_incident":
                facts[fact.id] = "否"
            if fact.id == "website_criticized":
                facts[fact.id] = "是" if rng.random() < 0.06 else "否"
        elif fact.type == "count":
            facts[fact.id] = round(int(value or 0) * scale) if value is not None else 0
        elif fact.type == "decimal":
            facts[fact.id] = Decimal(value) if value is not None else Decimal(0)
        elif fact.type == "multi_choice":
            options = list(fact.options)
            keep = [o for o in options if rng.random() < q**0.25]
            facts[fact.id] = keep
        elif fact.type == "text":
            if value is not None:
                facts[fact.id] = value
        elif value is not None:
            facts[fact.id] = value
    f = facts
    # statistics table: keep the identities the rubric checks (some bodies break one on purpose)
    f["trainings"] = rng.choice([0, 1, 1, 2, 3]) if q > 0.55 else rng.choice([0, 0, 1])
    f["trainees"] = f["trainings"] * rng.randint(15, 60)
    f["meetings"] = rng.randint(0, 4)
    f["published_total"] = rng.randint(20, 400)
    f["published_normative"] = rng.randint(0, max(0, f["published_total"] // 10))
    f["normative_issued"] = f["published_normative"] + rng.randint(0, 3)
    f["published_website"] = rng.randint(f["published_total"] // 2, f["published_total"])
    f["published_weibo"] = rng.choice([0, 0, rng.randint(1, f["published_total"])])
    f["published_weixin"] = rng.choice([0, rng.randint(1, f["published_total"])])
    f["published_other"] = rng.randint(0, f["published_total"] // 3)
    f["interpretations"] = rng.choice([0, 0, 1, 2, 5]) if q > 0.6 else 0
    f["hotspots_responded"] = rng.choice([0, 1, 3]) if q > 0.5 else 0
    f["press_conferences"] = rng.choice([0, 0, 1, 2])
    f["press_conferences_head"] = min(f["press_conferences"], rng.choice([0, 1]))
    f["interviews"] = rng.choice([0, 0, 1])
    f["interviews_head"] = min(f["interviews"], rng.choice([0, 1]))
    channels = [rng.choice([0, 0, 1, 2, 4]) for _ in range(4)]
    f["requests_in_person"], f["requests_fax"], f["requests_online"], f["requests_letter"] = channels
    received = sum(channels)
    f["requests_received"] = f["requests_closed"] = received
    f["requests_closed_extended"] = rng.randint(0, received // 3) if received else 0
    f["requests_closed_on_time"] = received - f["requests_closed_extended"]
    refused = rng.randint(0, received // 3) if received else 0
    granted = received - refused
    f.update(
        replies_total=received,
        replies_already_public=0,
        replies_granted=granted,
        replies_partial=0,
        replies_refused=refused,
        refused_state_secret=0,
        refused_commercial_secret=refused,
        refused_privacy=0,
        refused_security=0,
        refused_not_gov_info=0,
        refused_other_legal=0,
        replies_not_this_agency=0,
        replies_not_exist=0,
        replies_amend=0,
        replies_other_channel=0,
    )
    corrected = 1 if rng.random() < 0.1 else 0
    upheld = rng.choice([0, 0, 1])
    f.update(review_total=upheld + corrected, review_upheld=upheld, review_corrected=corrected, review_other=0)
    f.update(litigation_total=0, litigation_upheld=0, litigation_corrected=0, litigation_other=0)
    full, part = rng.randint(0, 2), rng.randint(1, 3)
    f.update(staff_full_time=full, staff_part_time=part, staff_total=full + part, dedicated_units=rng.choice([0, 1, 1]))
    if "performance_weight_pct" in f:
        f["performance_weight_pct"] = Decimal(rng.choice([2, 3, 4, 4, 5, 6]) if q > 0.5 else rng.choice([2, 3, 4]))
    if rng.random() > q + 0.2:  # weaker bodies leave a few yes/no items blank
        blank = rng.sample([x.id for x in rubric.facts if x.type == "bool" and not x.required], 2)
        for ident in blank:
            f.pop(ident, None)
        notes.append(f"留空 {len(blank)} 项是/否事实（{'、'.join(blank)}），相应评分项“缺少数据”")
    return f, notes


def self_scores_for(
    rng: random.Random, rubric: Any, result: Any, keys: list[str], over: bool
) -> tuple[dict[str, Decimal | None], list[str]]:
    """Self-scores on the form's rows: the computed points (honest), or full marks on a few
    unmet rows (over-claim). The manual bonus rows get a modest claim."""
    notes: list[str] = []
    scores: dict[str, Decimal | None] = {}
    for key in keys:
        node = result.node(key)
        if key in ("task", "extra"):
            scores[key] = Decimal(rng.choice([0, 2, 3, 4, 5])) if key == "task" else Decimal(rng.choice([0, 0, 1, 2]))
        else:
            scores[key] = node.points
    if over:
        short = [k for k in keys if k not in ("task", "extra") and result.node(k).points < result.node(k).max]
        chosen = rng.sample(short, min(len(short), rng.randint(3, 5)))
        for key in chosen:
            scores[key] = result.node(key).max
        notes.append(
            "自评虚高：" + "、".join(f"{result.node(k).title}（自评满分 {fmt(result.node(k).max)}）" for k in chosen)
        )
    return scores, notes


def emit(data: dict[str, Any], rubric: Any, header: list[str]) -> str:
    out = ["# " + line if line else "#" for line in header]
    out += [
        "",
        f'rubric: {{id: {data["rubric"]["id"]}, version: "{data["rubric"]["version"]}"}}',
        "",
        "agency:",
        f"  name: {data['agency']['name']}",
        f"  region: {data['agency']['region']}",
        f"  level: {data['agency']['level']}",
        "",
        f"year: {data['year']}",
        f'submitted: "{data["submitted"]}"',
        "",
        "facts:",
    ]
    facts = data["facts"]
    for fact in rubric.facts:
        if fact.id in facts:
            line = f"  {fact.id}: {_scalar(facts[fact.id])}"
            out.append(f"{line:<48}# {fact.label}")
    for ident, value in facts.items():  # facts the rubric does not know (malformed example)
        if ident not in rubric.fact_index:
            out.append(f"  {ident}: {_scalar(value)}")
    out += ["", "self_scores:"]
    for ident, value in data["self_scores"].items():
        title = rubric.node_index[ident].title
        out.append(f"{'  ' + ident + ': ' + (_scalar(value) if value is not None else '~'):<48}# {title}")
    if data.get("self_total") is not None:
        out += ["", f"self_total: {_scalar(data['self_total'])}"]
    if data.get("evidence"):
        out += ["", "evidence:"]
        for ident, items in data["evidence"].items():
            out.append(f"  {ident}:")
            for item in items:
                first = True
                for key, value in item.items():
                    out.append(f"    {'- ' if first else '  '}{key}: {_scalar(value)}")
                    first = False
    return "\n".join(out) + "\n"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | Decimal):
        return fmt(value)
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    text = str(value)
    if text in ("是", "否"):
        return text
    return json.dumps(text, ensure_ascii=False)


def build(files: dict[Path, str]) -> None:
    text_2017 = RUBRIC_2017.read_text(encoding="utf-8")
    text_2018 = make_rubric_2018(text_2017)
    files[RUBRIC_2018] = text_2018
    files[MAPPING] = MAPPING_TEXT
    rubrics = {2017: rubric_from_text(text_2017, str(RUBRIC_2017)), 2018: rubric_from_text(text_2018, str(RUBRIC_2018))}
    base = base_data()
    keys_2017 = list(base["self_scores"])
    rng = random.Random(SEED)
    for county, dept in BODIES:
        level = rng.uniform(0.45, 0.97)
        for year in (2017, 2018):
            q = level if year == 2017 else min(0.99, level + rng.uniform(-0.05, 0.15))
            files[OUT / f"{year}-{county}-{dept}.yaml"] = submission(
                rng, rubrics[year], base, keys_2017, county, dept, year, q
            )
    files.update(reviews())
    files[OUT / "README.md"] = README


def submission(
    rng: random.Random,
    rubric: Any,
    base: dict[str, Any],
    keys_2017: list[str],
    county: str,
    dept: str,
    year: int,
    q: float,
) -> str:
    key = (county, dept, year)
    name = agency_name(county, dept)
    real = (county, dept, year) == ("otqq", "zjj", 2017)
    header = [
        f"{year} 年度自评材料：{name}（批量评分示例，由 examples/tools/make_batch.py 生成，请勿手工修改）",
        "",
    ]
    notes: list[str] = []
    if real:
        facts = {k: v for k, v in base["facts"].items()}
        header.append(
            "底本：examples/001-otqq-zjj-2017.yaml（种子材料 001 的真实自评材料），事实数据与自评分原样照录。"
        )
    else:
        facts, notes = vary_facts(rng, rubric, base["facts"], q, year)
        header.append(
            f"底本：examples/001-otqq-zjj-2017.yaml 的事实数据，按工作水平 {q:.2f} 随机改动（虚构单位，数据为演示用）。"
        )
    if key in INCONSISTENT:
        facts["staff_total"] = int(facts.get("staff_full_time", 0)) + int(facts.get("staff_part_time", 0)) + 2
        notes.append("统计表“从事政务公开工作人员数”不等于专职 + 兼职（校验错误）")
    if key in VETOED:
        facts["leak_incident"] = "是"
        notes.append("填报年内发生政府信息公开失泄密行为（触发 2018 版细则的一票否决）")
    keys = [RENAMED.get(k, k) if year == 2018 else k for k in keys_2017]
    data = {
        "rubric": {"id": rubric.id, "version": rubric.version},
        "agency": {"name": name, "region": f"内蒙古自治区鄂尔多斯市{COUNTIES[county]}", "level": "旗县级部门"},
        "year": year,
        "submitted": f"{year + 1}-01-{rng.randint(8, 25):02d}",
        "facts": facts,
        "self_scores": {},
    }
    if real:
        data["self_scores"] = dict(base["self_scores"])
        data["submitted"] = base["submitted"]
        data["agency"] = base["agency"]
        data["evidence"] = {k: v[:1] for k, v in list(base.get("evidence", {}).items())[:4]}
    else:
        result = evaluate(rubric, _typed(rubric, data))
        data["self_scores"], more = self_scores_for(rng, rubric, result, keys, key in OVER_CLAIMERS)
        notes += more
        total = sum((v for v in data["self_scores"].values() if v is not None), Decimal(0))
        if key in TOTAL_MISMATCH:
            data["self_total"] = total + 5
            notes.append(f"自评总分写成 {fmt(total + 5)}，与各项自评分之和 {fmt(total)} 不符（校验错误）")
        elif rng.random() < 0.7:
            data["self_total"] = total
        data["evidence"] = {
            "org.head": [{"doc": f"{name}党组会议纪要〔{year}〕{rng.randint(2, 30)}号", "note": "研究部署政务公开工作"}]
        }
    text_notes = notes or ["照实自评（各项自评分等于系统核算分）"]
    header += ["", "本份材料的特点："] + [f"  - {n}" for n in text_notes]
    if key == UNKNOWN_FACT:
        data["facts"]["training_sessions"] = data["facts"].pop("trainings")
        header.append(
            "  - 故意写错：把事实“trainings”（举办各类培训班次数）写成了 training_sessions，批量评分应报告此文件并继续"
        )
    text = emit(data, rubric, header)
    if key == SYNTAX_ERROR:
        text = text.replace("\n  meetings: ", "\n\tmeetings: ", 1)
        text = text.replace(
            "本份材料的特点：",
            "本份材料的特点：\n#   - 故意写坏：meetings 一行用 Tab 缩进（YAML 语法错误），批量评分应报告此文件并继续",
            1,
        )
    return text


def _typed(rubric: Any, data: dict[str, Any]) -> Any:
    """The engine's view of ``data`` (for the honest self-scores), via the real loader."""
    text = emit(data, rubric, [])
    sub, _ = submission_from_text(text, rubric, "generated.yaml")
    return sub


# -- reviews -------------------------------------------------------------------------------------------


def reviews() -> dict[Path, str]:
    folder = OUT / "reviews"
    head = "# 核定记录（批量评分示例，由 examples/tools/make_batch.py 生成）。格式说明见 examples/reviews/。\n"
    return {
        folder / "2018-otqq-zjj.review.yaml": head
        + """review:
  rubric: {id: ordos-otqq-zjj-2018, version: "2018.1"}
  submission: 2018-otqq-zjj.yaml
  agency: 鄂托克前旗住房和城乡规划建设局
  reviewer: 王敏
  date: "2019-03-06"

facts:
  interpretations:
    value: 3
    reason: 抽查部门网站政策解读专栏，2018 年发布解读稿件 3 篇，统计表漏报

nodes:
  task:
    points: 4
    reason: 按时完成市政务公开办交办任务，报送材料有 1 处数据不准确
  extra:
    points: 0
    reason: 未提供受上级表扬的文件
""",
        folder / "2018-zge-zjj.review.yaml": head
        + """review:
  rubric: {id: ordos-otqq-zjj-2018}
  reviewer: 李娜
  date: "2019-03-07"

vetoes:
  leak:
    applies: 否
    reason: 经核实，所报“失泄密”系误将一般工作差错填入，不属于政府信息公开失泄密行为

facts:
  leak_incident:
    value: 否
    reason: 同上，核实后更正
""",
        folder / "2018-hjq-zjj.review.yaml": head
        + """review:
  rubric: {id: ordos-otqq-zjj-2018}
  reviewer: 李娜
  date: "2019-03-07"

vetoes:
  leak:
    applies: 是
    reason: 经核实，2018 年 6 月该局网站误发含个人身份证号的公示，属于失泄密，否决成立
""",
        folder / "2017-hjq-zjj.review.yaml": head
        + """review:
  rubric: {id: ordos-otqq-zjj-2017}
  reviewer: 王敏
  date: "2018-03-02"

nodes:
  disclosure.proactive.guide:
    points: 2
    reason: 已发布指南和目录，年报逾期未发布，酌情给 2 分
  task:
    points: 3
    reason: 交办任务完成，但报送材料自评分多处与实际不符
""",
    }


README = """# 批量评分示例

本文件夹由 `examples/tools/make_batch.py` 生成（固定随机种子，可重复生成），不要手工修改。

- 32 份自评材料：16 个单位 × 2017、2018 两个年度；2017 年用 `rubrics/ordos-otqq-zjj-2017.yaml`，
  2018 年用演示版 `rubrics/ordos-otqq-zjj-2018.yaml`（增加了一票否决项，见该文件开头的说明）。
- 其中 `2017-otqq-zjj.yaml` 是种子材料 001 的真实材料，其余单位和数据是虚构的演示数据。
- 有意设计的情况：5 份自评虚高，2 份自评总分不符，2 份统计表矛盾，3 份触发一票否决，
  2 份故意写坏（`2018-hjq-mzj.yaml` YAML 语法错误，`2018-wsq-fgw.yaml` 未知事实）。
- `reviews/`：4 份核定记录。

运行：

```
scoring batch examples/batch --review-dir examples/batch/reviews -o out/batch
scoring compare examples/batch/2017-otqq-zjj.yaml examples/batch/2018-otqq-zjj.yaml \\
    --mapping examples/compare/ordos-otqq-zjj-2017-to-2018.mapping.yaml
scoring plan examples/batch/2018-wsq-zjj.yaml --target 90
```

因为有两份故意写坏的材料，批量评分的退出码是 1。
"""


def main() -> int:
    parser = argparse.ArgumentParser(description="生成 examples/batch/ 批量评分示例")
    parser.add_argument("--check", action="store_true", help="只检查现有文件是否与生成结果一致")
    args = parser.parse_args()
    files: dict[Path, str] = {}
    build(files)
    stale = [p for p, text in files.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
    if args.check:
        for p in stale:
            print(f"与生成结果不一致：{p.relative_to(ROOT)}")
        return 1 if stale else 0
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"已生成 {len(files)} 个文件（{len(stale)} 个有变化）")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
