"""The Excel route for bodies: a workbook generated from the rubric, filled in, read back.

Public entry points (also for the web site):

* :func:`scoring.workbook.generate.workbook_bytes` — the blank (or pre-filled) ``.xlsx`` for a rubric;
* :func:`scoring.workbook.read.read_workbook` — an uploaded ``.xlsx`` read into the same
  :class:`scoring.diagnose.Inspection` a YAML file gives (problems located at ``统计表!D23``);
* :func:`scoring.workbook.read.workbook_yaml` — the canonical YAML of a filled-in workbook.
"""
