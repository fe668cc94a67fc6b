"""Command line: ``scoring validate | score | template | schema | rubric show | render``.

``run(argv, stdout, stderr)`` takes its streams so tests call it directly.
Exit codes: 0 fine, 1 invalid input or error findings, 2 usage.
User errors print as ``file:line:col: 字段 …`` lines, never as tracebacks
(``--debug`` shows the traceback of an internal error).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import IO, Any

from . import __version__, tempdirs
from .batch import DEFAULT_TIMEOUT
from .errors import InputError, Problem, ScoringError, UsageError
from .iofiles import guard_inputs, write_atomic
from .recover import read
from .registry import PROJECT_RUBRICS, Rubrics, Source, split_upload_folders
from .rubric import is_rubric_document, rubric_from_document
from .submission import submission_from_document
from .yamlio import Document, decode, read_bytes

# argparse prints its own words in English; users read Chinese. argparse looks `_` up at call time.
_ARGPARSE_ZH = {
    "usage: ": "用法：",
    "positional arguments": "参数",
    "options": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选择 %(value)r（可选：%(choices)s）",
    "expected one argument": "需要一个值",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "invalid %(type)s value: %(value)r": "无效的 %(type)s 值：%(value)r",
}
argparse._ = lambda text: _ARGPARSE_ZH.get(text, text)  # type: ignore[attr-defined]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"命令用法有误：{message}（运行 scoring -h 查看帮助）")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="scoring", description="政务公开考核评价评分工具")
    parser.add_argument("--version", action="version", version=f"scoring {__version__}")
    parser.add_argument("--debug", action="store_true", help="内部错误时显示详细调用栈")
    parser.add_argument(
        "--rubrics-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="按编号查找评分细则的文件夹（可多次指定；默认 ./rubrics 与项目自带的 rubrics/）",
    )
    sub = parser.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)

    p = sub.add_parser("validate", help="检查评分细则或自评材料（自动识别）")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--rubric", help="自评材料所用的评分细则（文件路径或编号[@版本]）；写明其他细则的材料被拒绝")

    p = sub.add_parser("score", help="对一份自评材料评分")
    p.add_argument("submission", metavar="SUBMISSION")
    p.add_argument("--rubric", help="评分细则（文件路径或编号[@版本]；默认按材料中的 rubric: 在细则文件夹中查找）")
    p.add_argument("--format", choices=["table", "json", "yaml"], default="table", help="输出格式")
    p.add_argument("-o", "--output", help="写入文件（默认输出到屏幕）")

    p = sub.add_parser("template", help="生成带中文注释的自评材料填写模板")
    p.add_argument("rubric", metavar="RUBRIC")
    p.add_argument("-o", "--output")
    p.add_argument(
        "--schema-ref",
        default="",
        help="模板首行 $schema 指向的路径或网址（默认：与模板同一文件夹的 <细则编号>.submission.schema.json，用 -o 时一并写出）",
    )

    # -- the Excel route for bodies (scoring.workbook) --
    p.add_argument("--xlsx", action="store_true", help="生成 Excel 自评表（.xlsx，须用 -o 指定文件名）而不是 YAML 模板")
    p.add_argument(
        "--from",
        dest="from_file",
        metavar="SUBMISSION",
        help="与 --xlsx 一起用：把一份已有的自评材料（YAML 或 .xlsx）填入新表，如按新版细则重填、把 YAML 交给习惯 Excel 的同事",
    )
    p = sub.add_parser("import", help="把填好的 Excel 自评表（.xlsx）转成标准格式的 YAML 自评材料")
    p.add_argument("workbook", metavar="FILE.xlsx")
    p.add_argument("--rubric", help="自评表所用的评分细则（文件路径或编号[@版本]；默认按表中记录的细则查找）")
    p.add_argument("-o", "--output", help="写入 YAML 文件（默认输出到屏幕）")

    p = sub.add_parser("review-template", help="生成评估人填写核定分的 Excel 核定表（读回时与核定记录文件相同）")
    p.add_argument("result", metavar="RESULT", help="评分结果（scoring score --format json 的输出），或自评材料")
    p.add_argument("--xlsx", action="store_true", help="生成 Excel 核定表（.xlsx）")
    p.add_argument("--rubric", help="RESULT 为自评材料时所用的评分细则")
    p.add_argument("-o", "--output", help="输出文件（.xlsx）")

    p = sub.add_parser("schema", help="输出自评材料的 JSON Schema（供编辑器补全与检查）")
    p.add_argument("rubric", metavar="RUBRIC")
    p.add_argument("-o", "--output")

    p = sub.add_parser("rubric", help="评分细则相关操作")
    rsub = p.add_subparsers(dest="rubric_command", metavar="操作", parser_class=_Parser)
    show = rsub.add_parser("show", help="显示评分细则的指标树与分值")
    show.add_argument("rubric", metavar="RUBRIC")

    p = sub.add_parser("render", help="生成 PDF（及 HTML）评分表")
    p.add_argument("submission", metavar="SUBMISSION")
    p.add_argument("--rubric")
    p.add_argument("--review", help="核定记录文件")
    p.add_argument("-o", "--output", required=True, help="输出 PDF 路径")
    p.add_argument("--html", help="同时输出 HTML")
    p.add_argument("--templates", help="自定义模板文件夹")
    p.add_argument("--date", help="评分日期（默认今天），如 2018-03-01")

    p = sub.add_parser("extract", help="从政府信息公开工作年度报告（纯文本）读出数字，生成待补全的草稿")
    p.add_argument("report", metavar="REPORT.txt", help="年度报告的纯文本")
    p.add_argument("--format", choices=["2008", "2019", "2021"], help="报告格式（默认按表格用语和报告年度判断）")
    p.add_argument("--rubric", help="草稿所用评分细则（默认 annual-report-<格式>）")
    p.add_argument("-o", "--output", help="写入文件（默认输出到屏幕）")

    p = sub.add_parser("batch", help="批量评分：一个文件夹的自评材料 → 评分表、排名汇总（PDF、CSV、XLSX）")
    p.add_argument("source", metavar="DIR", nargs="?", help="存放自评材料（.yaml）的文件夹")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="输出文件夹")
    p.add_argument("--review-dir", metavar="DIR", help="核定记录文件夹：<材料文件名>.review.yaml 对应同名材料")
    p.add_argument(
        "--rubric",
        help="整批材料所用的评分细则（文件路径或编号[@版本]）；写明其他细则的材料记为失败，不会改用其他细则评分",
    )
    p.add_argument("--jobs", type=int, default=0, metavar="N", help="并行的工作进程数（默认等于 CPU 核数）")
    p.add_argument("--templates", help="自定义模板文件夹")
    p.add_argument("--date", help="评分日期（默认今天），如 2018-03-01")
    p.add_argument("--force", action="store_true", help="全部重新生成（默认跳过结果未变、评分表已存在的文件）")
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"每个文件的处理时限（秒，默认 {DEFAULT_TIMEOUT}；0 表示不限）：超时的文件记为失败，其余继续",
    )
    # scoring.cluster: Dask workers, shards across machines, merging the shards' outputs
    p.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="在 Dask 集群上运行：tcp://主机:端口（已启动的调度器）或 local:N（本机 N 个工作进程）；"
        "需安装 zwgk-scoring[cluster]，材料和输出须在各机器相同路径的共享文件系统上",
    )
    p.add_argument("--chunk", type=int, default=0, metavar="N", help="每个任务的文件数（默认：本机 1，集群上最多 200）")
    p.add_argument(
        "--no-pdf", action="store_true", help="不生成评分表和汇总 PDF，只写结果 JSON 和汇总 CSV、XLSX（大批量时更快）"
    )
    p.add_argument(
        "--shard", metavar="I/N", help="只处理第 I 份（共 N 份，按文件名稳定划分），各份的输出用 --merge 汇总"
    )
    p.add_argument(
        "--merge", nargs="+", metavar="OUTDIR", help="把 --shard 各份的输出文件夹汇总为一份汇总和排名（不给 DIR）"
    )

    p = sub.add_parser("compare", help="对比同一单位的两次评分（如 2017 与 2018 年，或自评与核定）")
    p.add_argument("a", metavar="A", help="前一次：自评材料（.yaml）或评分结果（.json）")
    p.add_argument("b", metavar="B", help="后一次：自评材料（.yaml）或评分结果（.json）")
    p.add_argument("--mapping", help="评分项编号对照文件（两个细则版本的编号不同时）")
    p.add_argument("--review-a", metavar="FILE", help="A 的核定记录（A 为自评材料时）")
    p.add_argument("--review-b", metavar="FILE", help="B 的核定记录（B 为自评材料时）")
    p.add_argument("--rubric", help="A、B 为自评材料时所用的评分细则（文件路径或编号[@版本]）")
    p.add_argument("--rubric-a", metavar="RUBRIC", help="A 所用的评分细则（覆盖 --rubric）")
    p.add_argument("--rubric-b", metavar="RUBRIC", help="B 所用的评分细则（覆盖 --rubric）")
    figures = ["self", "computed", "reviewed", "final"]
    p.add_argument(
        "--a-figure",
        choices=figures,
        default="final",
        help="A 取哪种分数：self 自评分、computed 系统核算分、reviewed 核定分、final 有核定用核定分否则用核算分（默认）",
    )
    p.add_argument("--b-figure", choices=figures, default="final", help="B 取哪种分数（同上）")
    p.add_argument("--all", action="store_true", help="列出全部评分项（默认只列有变化的）")
    p.add_argument("--format", choices=["table", "json"], default="table", help="屏幕输出格式")
    p.add_argument("-o", "--output", help="同时生成对比 PDF")
    p.add_argument("--templates", help="自定义模板文件夹")
    p.add_argument("--date", help="生成日期（默认今天）")

    p = sub.add_parser("plan", help="提分测算：要达到目标分数或等次，应先完成哪些未达标的评分标准")
    p.add_argument("submission", metavar="SUBMISSION")
    p.add_argument("--target", required=True, help="目标分数（如 90）或等次名称（如 优秀）")
    p.add_argument("--rubric")
    p.add_argument("--review", help="核定记录文件（按核定后的分数测算）")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("-o", "--output", help="写入文件（默认输出到屏幕）")

    from .site.serve import add_parser as add_serve  # the intranet site (scoring/site/)

    add_serve(sub)
    return parser


class App:
    """The edge: resolves rubrics (see :mod:`scoring.registry`), reads files, prints."""

    def __init__(
        self,
        stdout: IO[str],
        stderr: IO[str],
        rubric_dirs: list[str],
        pinned: Source | None = None,
        defaults: bool = True,  # add ./rubrics and the project's rubrics/ (a batch worker gets the final list)
    ) -> None:
        self.out = stdout
        self.err = stderr
        self.dirs = [Path(d) for d in rubric_dirs] + ([Path("rubrics"), PROJECT_RUBRICS] if defaults else [])
        self.rubrics = Rubrics(self.dirs, pinned)

    # -- rubric lookup ------------------------------------------------------------------------
    def rubric(self, ref: str) -> Any:
        """The rubric an evaluator names: a file path or a registered id[@version]."""
        return self.rubrics.by_ref(ref)

    def submission(self, path: str, rubric_ref: str | None) -> tuple[Any, Any, list[Problem]]:
        found, sha256 = self.inspect_path(path, rubric_ref)  # read once: the SHA-256 is of the bytes checked
        if found.submission is None:
            raise InputError(list(found.problems + found.missing))
        import attrs

        submission = attrs.evolve(found.submission, sha256=sha256)
        return found.rubric, submission, list(found.missing)

    def inspect(self, text: str, path: str, rubric_ref: str | None) -> Any:
        """Check a submission's text, reading on after a syntax error: every problem in one round."""
        from .diagnose import inspect

        return inspect(text, path, lambda doc: self.rubric_for(doc, rubric_ref))

    def inspect_path(self, path: str, rubric_ref: str | None) -> Any:
        """A submission file (YAML or a body's ``.xlsx`` workbook) checked in one round, and its SHA-256."""
        from .diagnose import inspect_file

        return inspect_file(path, lambda doc: self.rubric_for(doc, rubric_ref))

    def submission_from(self, doc: Document, rubric_ref: str | None) -> tuple[Any, Any, list[Problem]]:
        """Score-ready submission from a document read once: its SHA-256 is of the bytes parsed."""
        import attrs

        rubric = self.rubric_for(doc, rubric_ref)
        submission, missing = submission_from_document(doc, rubric)
        return rubric, attrs.evolve(submission, sha256=doc.sha256), missing

    def rubric_for(self, doc: Document, rubric_ref: str | None) -> Any:
        """The evaluator's rubric (``--rubric``, or the run's pin), else the registered one the submission names."""
        pinned = self.rubric(rubric_ref) if rubric_ref else self.rubrics.pinned_rubric()
        return self.rubrics.for_submission(doc, pinned)

    def emit(self, text: str, output: str | None, inputs: tuple[str, ...] = ()) -> None:
        if output:
            write_atomic(Path(output), text.encode("utf-8"), protect=[Path(i) for i in inputs])
            self.err.write(f"已写入 {output}\n")
        else:
            self.out.write(text)

    def problems(self, problems: list[Problem], prefix: str = "") -> None:
        self.out.flush()  # keep the summary line and its problems in reading order
        for p in problems:
            self.err.write(f"{prefix}{p}\n")

    # -- commands -------------------------------------------------------------------------
    def cmd_validate(self, args: argparse.Namespace) -> int:
        status = 0
        from .workbook.read import is_workbook

        for file in args.files:
            try:
                if is_workbook(file):
                    status = max(status, self.validate_submission("", file, args.rubric))
                    continue
                text = decode(read_bytes(file), file)
                reading = read(text, file)
                doc = reading.doc
                if doc is not None and is_rubric_document(doc):
                    if reading.problems:
                        raise InputError(list(reading.problems))
                    rubric = rubric_from_document(doc)
                    self.out.write(
                        f"{file}: 评分细则有效（{rubric.title}，{len(rubric.all_nodes())} 个评分节点，"
                        f"{len(rubric.facts)} 项事实，{len(rubric.checks)} 条校验规则）\n"
                    )
                    continue
                status = max(status, self.validate_submission(text, file, args.rubric))
            except ScoringError as exc:
                self.out.write(f"{file}: 无效（{len(exc.problems)} 个问题）\n")
                self.problems(exc.problems)
                status = 1
        return status

    def validate_submission(self, text: str, file: str, rubric_ref: str | None) -> int:
        """Everything ``score`` would say, located: problems, missing facts, failed checks, self-audit."""
        from .diagnose import audit
        from .engine import evaluate

        found = self.inspect_path(file, rubric_ref)[0] if not text else self.inspect(text, file, rubric_ref)
        if found.submission is None:
            problems = list(found.problems + found.missing)
            self.out.write(f"{file}: 无效（{len(problems)} 个问题）\n")
            self.problems(sorted(problems, key=lambda p: (p.line or 10**9, p.column)))
            return 1
        rubric = found.rubric
        checked = audit(found, evaluate(rubric, found.submission))
        errors = [*found.missing, *checked.errors]
        everything = sorted([*errors, *checked.warnings], key=lambda p: (p.line or 10**9, p.column))
        notes = f"，另有 {len(checked.warnings)} 条提醒" if checked.warnings else ""
        if errors:
            counts = [f"{len(found.missing)} 个必填项未填写"] if found.missing else []
            counts += [f"{len(checked.errors)} 个错误"] if checked.errors else []
            self.out.write(f"{file}: 格式正确，但有 {'、'.join(counts)}{notes}\n")
        else:
            self.out.write(f"{file}: 自评材料有效（评分细则 {rubric.id} {rubric.version}）{notes}\n")
        self.problems(everything)
        return 1 if errors else 0

    def cmd_score(self, args: argparse.Namespace) -> int:
        from .engine import evaluate
        from .result import dumps

        rubric, submission, missing = self.submission(args.submission, args.rubric)
        result = evaluate(rubric, submission)
        if args.format == "json":
            text = dumps(result)
        elif args.format == "yaml":
            import yaml

            text = yaml.safe_dump(json.loads(dumps(result)), allow_unicode=True, sort_keys=False, width=1000)
        else:
            from .cells import DEFAULT_COLUMNS, columns, fits_screen
            from .textual import score_table

            screen = not args.output and fits_screen(self.out)
            text = score_table(result, columns(self.out) if screen else DEFAULT_COLUMNS, fit=screen)
        self.emit(text, args.output, (args.submission,))
        self.problems(missing, prefix="提醒：")
        return 1 if (result.has_errors or missing) else 0

    def cmd_template(self, args: argparse.Namespace) -> int:
        from . import editor
        from .skeleton import skeleton

        if args.xlsx:
            return self.cmd_template_xlsx(args)
        if args.from_file:
            raise UsageError(
                "--from 只用于生成 Excel 自评表，请同时加 --xlsx，如 scoring template 细则编号 --xlsx --from 材料.yaml -o 自评表.xlsx"
            )
        rubric = self.rubric(args.rubric)
        ref, hint, schema_path = args.schema_ref, "", None
        if ref:
            pass  # the user's own reference, verbatim; no schema file written
        elif args.output:
            # the schema beside the template: found by the editor wherever the file is written
            schema_path = Path(args.output).parent / editor.schema_name(rubric)
            ref = schema_path.name
        else:
            ref, hint = editor.stdout_reference(rubric, Path.cwd())
        self.emit(skeleton(rubric, ref), args.output, (args.rubric,))
        if schema_path is not None:
            text = editor.schema_text(rubric)
            if not (schema_path.is_file() and schema_path.read_bytes() == text.encode("utf-8")):
                write_atomic(schema_path, text.encode("utf-8"), protect=[Path(args.rubric)])
            self.err.write(f"已写入 {schema_path}（编辑器用的 schema：自动补全、中文说明、即时检查）\n")
        self.err.write(hint)
        return 0

    def cmd_template_xlsx(self, args: argparse.Namespace) -> int:
        from .workbook.generate import workbook_bytes

        if not args.output:
            raise UsageError("生成 Excel 自评表须用 -o 指定文件名，如 scoring template 细则编号 --xlsx -o 自评表.xlsx")
        rubric = self.rubric(args.rubric)
        data = None
        protect = [Path(args.rubric)]
        if args.from_file:
            # checked against this rubric first, so the workbook is never pre-filled with what the tool would refuse
            found, _sha256 = self.inspect_path(args.from_file, args.rubric)
            if found.submission is None:
                raise InputError(list(found.problems))
            data = found.reading.doc.data
            protect.append(Path(args.from_file))
        write_atomic(Path(args.output), workbook_bytes(rubric, data), protect=protect)
        self.err.write(
            f"已写入 {args.output}（Excel 自评表：填写浅黄色单元格，填完运行 scoring validate {args.output} 检查）\n"
        )
        return 0

    def cmd_import(self, args: argparse.Namespace) -> int:
        from .workbook.read import workbook_yaml

        found, _sha256 = self.inspect_path(args.workbook, args.rubric)
        if found.submission is None:
            raise InputError(list(found.problems + found.missing))
        self.emit(workbook_yaml(found.rubric, found.submission), args.output, (args.workbook,))
        self.problems(list(found.missing), prefix="提醒：")
        return 0

    def cmd_review_template(self, args: argparse.Namespace) -> int:
        from .workbook.review import review_workbook_bytes

        if not args.xlsx or not args.output:
            raise UsageError(
                "用法：scoring review-template 评分结果.json --xlsx -o 核定表.xlsx（核定表目前只有 Excel 格式）"
            )
        if args.result.lower().endswith(".json"):
            from .yamlio import read_text

            try:
                result = json.loads(read_text(args.result))
                result["rubric"]["id"], result["nodes"][0]["id"]
            except (ValueError, KeyError, IndexError, TypeError):
                raise InputError(
                    Problem("这不是 scoring 生成的评分结果 JSON（缺少 rubric、nodes 等内容）", args.result)
                ) from None
        else:
            from .engine import evaluate

            rubric, submission, _missing = self.submission(args.result, args.rubric)
            result = evaluate(rubric, submission).to_dict()
        write_atomic(Path(args.output), review_workbook_bytes(result), protect=[Path(args.result)])
        self.err.write(f"已写入 {args.output}（核定表：填写“核定分”“核定理由”，用 --review {args.output} 读回）\n")
        return 0

    def cmd_schema(self, args: argparse.Namespace) -> int:
        from .editor import schema_text

        self.emit(schema_text(self.rubric(args.rubric)), args.output, (args.rubric,))
        return 0

    def cmd_rubric(self, args: argparse.Namespace) -> int:
        from .textual import rubric_tree

        if args.rubric_command != "show":
            raise UsageError("用法：scoring rubric show RUBRIC")
        self.out.write(rubric_tree(self.rubric(args.rubric)))
        return 0

    def cmd_extract(self, args: argparse.Namespace) -> int:
        from .extract import draft_yaml, extract
        from .yamlio import read_text

        found = extract(read_text(args.report), args.format)
        rubric = self.rubric(args.rubric or f"annual-report-{found.format}")
        self.emit(draft_yaml(found, rubric, Path(args.report).name), args.output, (args.report,))
        return 0

    def cmd_render(self, args: argparse.Namespace) -> int:
        from .engine import evaluate
        from .render import render_files

        rubric, submission, missing = self.submission(args.submission, args.rubric)
        result = evaluate(rubric, submission)
        if args.review:
            from .review import apply_review, load_review

            result = apply_review(result, load_review(args.review, rubric), rubric, submission)
        issued = issued_on(args.date)
        protect = [Path(args.submission)] + ([Path(args.review)] if args.review else [])
        render_files(
            result,
            Path(args.output),
            Path(args.html) if args.html else None,
            issued_on=issued,
            templates_dir=Path(args.templates) if args.templates else None,
            protect=protect,
        )
        self.err.write(f"已生成评分表 {args.output}\n")
        self.problems(missing, prefix="提醒：")
        return 1 if (result.has_errors or missing) else 0

    def cmd_batch(self, args: argparse.Namespace) -> int:
        from .batch import BatchOptions, run_batch
        from .cluster.shard import parse_shard

        if args.merge:
            if args.source or args.shard or args.cluster:
                raise UsageError("--merge 只汇总已有的分片输出：不要同时给出材料文件夹 DIR、--shard 或 --cluster")
            from .cluster.merge import run_merge

            templates = Path(args.templates) if args.templates else None
            return self._batch_report(
                run_merge([Path(m) for m in args.merge], Path(args.output), templates, self.err), args
            )
        if not args.source:
            raise UsageError("请给出存放自评材料的文件夹 DIR（或用 --merge 汇总分片输出）")
        if args.chunk < 0:
            raise UsageError("--chunk 应为正整数（或 0 表示默认）")
        if args.jobs < 0:
            raise UsageError("--jobs 应为正整数（或 0 表示按 CPU 核数）")
        if not args.timeout >= 0 or args.timeout == float("inf"):  # also refuses nan
            raise UsageError(f"--timeout 应为秒数（0 表示不限），实际为“{args.timeout:g}”")
        try:
            issued = dt.date.fromisoformat(args.date) if args.date else dt.date.today()
        except ValueError:
            raise UsageError(f"--date 应为日期，写成 2018-03-01 这样，实际为“{args.date}”") from None
        # bodies upload into the source folder: a rubric folder inside it could name their own rubric
        dirs, dropped = split_upload_folders(self.dirs, Path(args.source))
        for folder in dropped:
            self.err.write(
                f"提醒：评分细则文件夹 {folder} 位于材料文件夹中（各单位上传材料的位置），本次不从中查找细则\n"
            )
        options = BatchOptions(
            source=Path(args.source),
            outdir=Path(args.output),
            review_dir=Path(args.review_dir) if args.review_dir else None,
            jobs=args.jobs,
            rubric_dirs=tuple(str(d) for d in dirs),
            rubric=pinned_source(Rubrics(dirs), args.rubric),
            templates_dir=Path(args.templates) if args.templates else None,
            issued_on=issued,
            force=args.force,
            debug=args.debug,
            timeout=args.timeout,
            cluster=args.cluster or "",
            chunk=args.chunk,
            pdf=not args.no_pdf,
            shard=parse_shard(args.shard) if args.shard else None,
        )
        return self._batch_report(run_batch(options, self.err), args)

    def _batch_report(self, report: Any, args: argparse.Namespace) -> int:
        from .summary import overview_text

        if report.summary is not None:
            self.out.write(overview_text(report.summary, Path(args.output), report.elapsed))
        for problem in (
            *report.summary_problems,
            *report.notes,
            *(f"提醒：核定记录 {u} 没有对应的自评材料，未使用" for u in report.unused_reviews),
        ):
            self.err.write(problem + "\n")
        return report.exit_code

    def cmd_compare(self, args: argparse.Namespace) -> int:
        from .compare import run_compare

        return run_compare(self, args)

    def cmd_plan(self, args: argparse.Namespace) -> int:
        from .plan import run_plan

        return run_plan(self, args)

    def cmd_serve(self, args: argparse.Namespace) -> int:
        from .site.serve import run_serve

        return run_serve(args, self.out, self.err)


def pinned_source(rubrics: Rubrics, ref: str | None) -> Source | None:
    """The bytes of the rubric pinned for a whole batch, read once and checked before any file is scored."""
    if not ref:
        return None
    source = rubrics.source_for(ref)
    rubrics.load(source)
    return source


def issued_on(value: str | None) -> dt.date:
    """The scoring date printed on scorecards: --date, or today (read here, at the edge)."""
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--date 应为日期，写成 2018-03-01 这样，实际为“{value}”") from None


def run(argv: list[str] | None = None, stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        if not args.command:
            build_parser().print_help(stdout)
            return 2
        app = App(stdout, stderr, args.rubrics_dir)
        with guard_inputs():  # no output may replace a file this command has read
            try:
                return int(getattr(app, f"cmd_{args.command.replace('-', '_')}")(args))
            finally:
                tempdirs.cleanup()  # WeasyPrint's font copies (see scoring.tempdirs)
    except ScoringError as exc:
        for problem in exc.problems:
            stderr.write(f"{problem}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        stderr.write("已中断\n")
        return 130
    except BrokenPipeError:  # `scoring score s.yaml | head`: the reader left; not an error worth a message
        if stdout is sys.stdout:
            with contextlib.suppress(OSError, ValueError):  # keep Python's exit-time flush from complaining
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:
        if debug:
            traceback.print_exc(file=stderr)
        else:
            stderr.write(f"内部错误：{type(exc).__name__}: {exc}\n请加 --debug 重新运行并把输出反馈给维护人员。\n")
        return 3


def main() -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[union-attr]
    signal.signal(signal.SIGTERM, _terminated)
    return run()


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM stops a command as Ctrl+C does, so temporary files are removed on the way out
    (``scoring batch`` installs its own handler: finish the files in hand, then stop)."""
    raise KeyboardInterrupt
