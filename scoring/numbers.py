"""Exact decimal helpers: rounding by the rubric's policy and plain formatting."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)


def quantize(value: Decimal, places: int) -> Decimal:
    """Round half-up to ``places`` decimals (the rubric's rounding policy)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))


def fmt(value: Decimal | int | None) -> str:
    """``Decimal('4.50')`` -> ``'4.5'``, ``Decimal('5.0')`` -> ``'5'``; never scientific."""
    if value is None:
        return ""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.to_integral_value().quantize(Decimal(1)))
    text = format(value.normalize(), "f")
    return text


def json_number(value: Decimal | int | None) -> int | float | None:
    """A JSON number that prints exactly as :func:`fmt` does."""
    if value is None:
        return None
    value = Decimal(value)
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    assert repr(number) == fmt(value) or Decimal(repr(number)) == value.normalize()
    return number
