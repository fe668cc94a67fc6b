"""The digits policy for workbook cells, as for YAML: at most 15 significant digits (issue 11)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scoring.workbook.read import _Bad, _number


def test_a_computed_cells_binary_tail_is_cut_to_excels_fifteen_digits() -> None:
    """0.1 + 0.2 in a formula cell is stored as 0.30000000000000004: before, 17 digits reached the engine."""
    assert _number(0.1 + 0.2) == Decimal("0.3")
    assert _number(95.5) == Decimal("95.5")


def test_a_text_cell_of_more_than_fifteen_significant_digits_is_refused() -> None:
    with pytest.raises(_Bad, match=r"有效数字过多（超过 15 位）：3\.1234567890123456"):
        _number("3.1234567890123456")
    assert _number("3.12345678901234") == Decimal("3.12345678901234")
