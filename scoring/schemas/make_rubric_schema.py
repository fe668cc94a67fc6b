"""Writes rubric.schema.json (run after editing; the JSON file is what ships).

Kept as Python so the schema's repeated parts are written once.
"""

import json
from pathlib import Path

ID = {
    "type": "string",
    "pattern": r"^[A-Za-z_][A-Za-z0-9_.\-]*$",
    "maxLength": 80,
    "description": "编号：字母、数字、下划线、点或连字符，以字母开头",
}
FACT_ID = {
    "type": "string",
    "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$",
    "maxLength": 80,
    "description": "事实编号：字母、数字、下划线，以字母开头（表达式中直接使用）",
}
POINTS = {"type": "number", "minimum": 0, "maximum": 10000, "description": "分值"}
EXPR = {
    "type": ["string", "boolean", "number"],
    "minLength": 1,
    "maxLength": 2000,
    "description": "表达式（规则语言，见 README“表达式”一节）",
}
TEXT = {"type": "string", "maxLength": 5000}

deduction_item = {
    "type": "object",
    "additionalProperties": False,
    "required": ["label", "per"],
    "properties": {
        "label": {**TEXT, "description": "扣分情形，如“每发现一处错误”"},
        "per": {**POINTS, "description": "每次（或该情形成立时）扣的分"},
        "count": {**EXPR, "description": "发生次数（表达式）"},
        "when": {**EXPR, "description": "情形成立的条件（表达式）"},
    },
    "oneOf": [{"required": ["count"]}, {"required": ["when"]}],
}

rule_kinds = {
    "condition": ({"when": EXPR, "met": TEXT, "unmet": TEXT}, ["when"], "全有或全无：条件成立得满分，否则 0 分"),
    "proportional": ({"ratio": EXPR, "numerator": EXPR, "denominator": EXPR}, [], "按比例：满分 × 比例（0 到 1 之间）"),
    "tiers": (
        {
            "tiers": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["when", "points"],
                    "properties": {"when": EXPR, "points": POINTS, "label": TEXT},
                },
            },
            "otherwise": POINTS,
        },
        ["tiers"],
        "分档：按顺序第一个成立的档次得分",
    ),
    "per_item": (
        {"count": EXPR, "each": POINTS, "cap": POINTS, "unit": TEXT},
        ["count", "each"],
        "每项计分：每项得 each 分，最多 cap 分（默认为本项满分）",
    ),
    "scale": (
        {"value": EXPR, "levels": {"type": "object", "minProperties": 1, "additionalProperties": POINTS}},
        ["value", "levels"],
        "等级评分：如 优/良/一般/差 → 10/8/6/0",
    ),
    "deduction": (
        {"items": {"type": "array", "minItems": 1, "items": deduction_item}},
        ["items"],
        "扣分制：从本项满分扣起，扣完为止",
    ),
    "manual": ({"guidance": TEXT}, [], "人工评定：由评估人核定，自评分暂作参考"),
    "formula": ({"points": EXPR}, ["points"], "公式：得分 = 表达式的值（限制在 0 到满分之间）"),
}

rule = {
    "type": "object",
    "required": ["kind"],
    "description": "评分规则",
    "properties": {"kind": {"enum": list(rule_kinds), "description": "规则类型"}},
    "allOf": [],
}
for kind, (props, required, doc) in rule_kinds.items():
    rule["allOf"].append(
        {
            "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
            "then": {
                "description": doc,
                "additionalProperties": False,
                "required": ["kind", *required],
                "properties": {"kind": {"const": kind}, **props},
            },
        }
    )
rule["allOf"].append(
    {
        "if": {"properties": {"kind": {"const": "proportional"}}},
        "then": {"oneOf": [{"required": ["ratio"]}, {"required": ["numerator", "denominator"]}]},
    }
)

node = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "max"],
    "description": "评分节点：一级指标、二级指标或具体评分标准。有 children 的是父节点，否则必须有 rule",
    "properties": {
        "id": ID,
        "title": {**TEXT, "description": "名称，如“组织领导”"},
        "text": {**TEXT, "description": "细则原文（逐字保留）"},
        "max": {**POINTS, "description": "满分"},
        "rule": {"$ref": "#/$defs/rule"},
        "children": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/node"}},
        "cap": {"type": "boolean", "description": "子项满分之和可以超过本项满分，得分以本项满分封顶"},
        "combine": {"enum": ["sum", "weighted"], "description": "子项合成方式：sum 相加；weighted 按权重折算"},
        "weight": {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 1,
            "description": "权重（父节点 combine: weighted 时使用，各子项权重之和为 1）",
        },
        "pool_deductions": {"type": "boolean", "description": "扣分可跨子项累计，以本项满分为限（扣完为止）"},
        "gate": {**EXPR, "description": "加分项的前提条件（可用 base 表示基础分）"},
        "evidence": {**TEXT, "description": "需要提供的佐证材料"},
    },
}

fact = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "label", "type"],
    "properties": {
        "id": FACT_ID,
        "label": {**TEXT, "description": "中文名称，如“主动公开政府信息总数”"},
        "type": {
            "enum": ["count", "integer", "decimal", "bool", "date", "choice", "multi_choice", "text"],
            "description": "类型：count 非负整数；integer 整数；decimal 数字；bool 是/否；date 日期；"
            "choice 单选；multi_choice 多选；text 文字",
        },
        "unit": {**TEXT, "description": "单位，如 条、件、万元"},
        "help": {**TEXT, "description": "填写说明"},
        "required": {"type": "boolean", "description": "是否必填"},
        "options": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"type": "string", "minLength": 1, "maxLength": 200},
            "description": "可选项（choice / multi_choice）",
        },
        "minimum": {"type": "number"},
        "maximum": {"type": "number"},
        "row": {"type": ["integer", "string"], "description": "在原统计表中的序号"},
    },
}

group = {
    "type": "object",
    "additionalProperties": False,
    "required": ["group", "label", "facts"],
    "properties": {
        "group": FACT_ID,
        "label": TEXT,
        "help": TEXT,
        "facts": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/fact"}},
    },
}

foreach = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 3,
    "description": "模板展开：对每个取值生成一条规则，{名称} 替换为取值，{名称.label} 替换为中文名",
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "minItems": 1, "items": {"type": "string"}},
            {"type": "object", "minProperties": 1, "additionalProperties": {"type": "string"}},
        ]
    },
}

TEMPLATE_ID = {
    **ID,
    "pattern": r"^[A-Za-z_{][A-Za-z0-9_.{}-]*$",
    "description": "编号；使用 foreach 时可含 {名称}",
}
check = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "expect", "message"],
    "properties": {
        "id": TEMPLATE_ID,
        "title": TEXT,
        "severity": {"enum": ["error", "warning"], "description": "error 错误；warning 提醒"},
        "expect": {**EXPR, "description": "应当成立的关系，如 a == b + c"},
        "when": {**EXPR, "description": "仅在此条件成立时检查"},
        "message": {**TEXT, "description": "不成立时的提示，{事实编号} 会替换为其数值，{left}/{right} 为等式两边"},
        "foreach": foreach,
    },
}

veto = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "title", "when"],
    "properties": {
        "id": ID,
        "title": TEXT,
        "when": {**EXPR, "description": "触发否决的条件"},
        "message": TEXT,
        "node": {**ID, "description": "关联的评分节点（可选）"},
        "effect": {"enum": ["grade", "zero"], "description": "grade：等次定为最低档；zero：同时总分记 0"},
    },
}

penalty = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "title", "per"],
    "properties": {"id": ID, "title": TEXT, "per": POINTS, "count": EXPR, "when": EXPR},
    "oneOf": [{"required": ["count"]}, {"required": ["when"]}],
}

schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://example.invalid/scoring/rubric.schema.json",
    "title": "政务公开考核评价细则（评分规则）",
    "type": "object",
    "additionalProperties": False,
    "required": ["rubric", "facts", "sections"],
    "properties": {
        "rubric": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "version", "title", "year", "total", "grades"],
            "properties": {
                "id": ID,
                "version": {"type": ["string", "number"], "description": "版本号（请加引号）"},
                "title": TEXT,
                "issuer": {**TEXT, "description": "发布机关"},
                "year": {"type": "integer", "minimum": 1990, "maximum": 2100, "description": "考核年度"},
                "source": {**TEXT, "description": "来源文件"},
                "description": TEXT,
                "total": {**POINTS, "description": "基础总分（不含加分），通常为 100"},
                "rounding": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"places": {"type": "integer", "minimum": 0, "maximum": 4}},
                    "description": "计算得分保留的小数位数（四舍五入）",
                },
                "grade_on": {"enum": ["final", "base"], "description": "评定等次依据：final 最终得分；base 基础分"},
                "grades": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["name", "min"],
                        "properties": {"name": TEXT, "min": POINTS},
                    },
                    "description": "等次分档，从高到低；最后一档通常 min: 0",
                },
                "bonus_cap": {**POINTS, "description": "加分合计上限"},
                "years": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["from"],
                    "properties": {
                        "from": {"type": "integer", "minimum": 1990, "maximum": 2100, "description": "起始年度"},
                        "to": {
                            "type": "integer",
                            "minimum": 1990,
                            "maximum": 2100,
                            "description": "截止年度（含；不写为不限）",
                        },
                    },
                    "description": "细则适用的考核年度范围（如年度报告核查细则适用于多个年度）；不写时只适用于 year 这一年",
                },
            },
        },
        "facts": {
            "type": "array",
            "items": {
                "if": {"type": "object", "required": ["group"]},
                "then": {"$ref": "#/$defs/group"},
                "else": {"$ref": "#/$defs/fact"},
            },
            "description": "需要填报的事实（可分组）",
        },
        "sections": {
            "type": "array",
            "minItems": 1,
            "items": {"$ref": "#/$defs/node"},
            "description": "计入基础总分的一级指标",
        },
        "bonus": {"type": "array", "items": {"$ref": "#/$defs/node"}, "description": "不计入基础总分的加分部分"},
        "penalties": {"type": "array", "items": penalty, "description": "从总分中扣除的重大扣分项"},
        "vetoes": {"type": "array", "items": veto, "description": "一票否决项"},
        "checks": {"type": "array", "items": check, "description": "数据一致性校验"},
    },
    "$defs": {"node": node, "rule": rule, "fact": fact, "group": group},
}

out = Path(__file__).with_name("rubric.schema.json")
out.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
