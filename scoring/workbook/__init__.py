"""The Excel route for bodies: a workbook generated from the rubric, filled in, read back.

Public entry points (also for the web site):

* :func:`scoring.workbook.generate.workbook_bytes` — the blank (or pre-filled) ``.xlsx`` for a rubric;
* :func:`scoring.workbook.read.inspect_workbook` — an uploaded ``.xlsx`` (bytes) checked into the same
  :class:`scoring.diagnose.Inspection` a YAML file gives (problems located at ``统计表!D23``);
  :func:`scoring.diagnose.inspect_file` does the same for a path of either kind;
* :func:`scoring.workbook.read.workbook_yaml` — the canonical YAML of a filled-in workbook;
* :func:`scoring.workbook.review.review_workbook_bytes` — the evaluator's 核定表 of a result.
"""
