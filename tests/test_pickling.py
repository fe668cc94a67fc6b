"""Every exception class defined in ``scoring`` survives a pickle round trip exactly.

A batch worker sends its errors to the parent pickled; an error that cannot be unpickled
breaks the whole process pool (the batch then reported "工作进程意外退出" for its summary).
The classes are found by walking the package, so a new exception class without a sample
here fails the test until one is added."""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil

import pytest

import scoring
from scoring.errors import Problem, ScoringError

# Modules that do something when imported (a script, the command line).
NOT_IMPORTED = {"scoring.__main__", "scoring.schemas.make_rubric_schema"}

LOCATED = [
    Problem("应为整数，得到的是“十二”", "/data/甲县住建局.yaml", 12, 5, "facts.trainings", "培训次数"),
    Problem("请把文件另存为 UTF-8 编码", "/data/乙.yaml"),
]


def exception_classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(scoring.__path__, "scoring."):
        if info.name in NOT_IMPORTED:
            continue
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__.startswith("scoring"):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[k] for k in sorted(found)]


def samples(cls: type[BaseException]) -> list[BaseException]:
    """Realistic instances: the arguments the code raises them with."""
    from scoring.expr import CompileError, MissingFact
    from scoring.render import GlyphError

    if cls is GlyphError:
        return [GlyphError([("😀", ["被考核单位名称“测试😀局”"]), ("\ue000", ["评分项 1.2 的细则原文“…”"] * 5)])]
    if cls is CompileError:
        return [CompileError("不支持乘方 **", 7), CompileError("表达式为空")]
    if cls is MissingFact:
        return [MissingFact("trainings")]
    if cls.__name__ == "SiteError":  # scoring.site (the `site` extra)
        return [cls("材料还有 1 个问题，请改正后再提交", ["body-0001.yaml:44:20: …"]), cls("请选择要上传的文件")]
    init = cls.__init__
    if issubclass(cls, ScoringError) and init is ScoringError.__init__:
        return [cls(LOCATED), cls(LOCATED[0]), cls("模板文件夹中缺少 scorecard.css")]
    if init is BaseException.__init__ or init in {b.__init__ for b in (Exception, ValueError)}:
        return [cls("除数为零（a / 0）"), cls("data:image/png;base64,…", "file:///etc/passwd")]
    raise AssertionError(f"{cls.__module__}.{cls.__qualname__} has its own __init__: add a sample to samples()")


CLASSES = exception_classes()


def test_the_walk_finds_the_exception_classes():
    names = {c.__name__ for c in CLASSES}
    assert {"ScoringError", "InputError", "UsageError", "GlyphError", "FontError", "CompileError"} <= names


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_round_trip_is_exact(cls):
    for exc in samples(cls):
        exc.add_note("附注：批量评分第 3 个文件")
        again = pickle.loads(pickle.dumps(exc))
        assert type(again) is cls
        assert again.args == exc.args
        assert str(again) == str(exc)
        assert vars(again) == vars(exc)
        if isinstance(exc, ScoringError):
            assert again.problems == exc.problems and again.exit_code == exc.exit_code
