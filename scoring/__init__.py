"""政务公开考核评价评分引擎 (scoring engine for government-transparency assessments)."""

__version__ = "0.1.0"
