"""Exact decimal helpers: rounding by the rubric's policy and plain formatting.

Digits policy (README, "数字的位数"): every number read from YAML has at most
:data:`MAX_SIGNIFICANT` significant digits (refused at load, located), points a
submission or review writes have at most the rubric's ``rounding.places``
decimals, and every point the engine derives goes through the rubric's
rounding. So every number that leaves the core is exact as a JSON number.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow

ZERO = Decimal(0)
# 15 significant digits: any such decimal survives the trip through a JSON (binary) float unchanged
MAX_SIGNIFICANT = 15
_BOUND = Context(prec=MAX_SIGNIFICANT, rounding=ROUND_HALF_UP, Emax=10_000, Emin=-10_000, traps=[])
# rounding to the rubric's places never runs out of digits for a value the engine accepts (< 10^15)
_WIDE = Context(prec=100, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow])


def quantize(value: Decimal, places: int) -> Decimal:
    """Round half-up to ``places`` decimals (the rubric's rounding policy)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=_WIDE)


def clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))


def significant_digits(value: Decimal | int) -> int:
    """``Decimal('95.50')`` -> 3, ``Decimal('0.000120')`` -> 2, ``0`` -> 1."""
    return len(Decimal(value).normalize().as_tuple().digits)


def decimal_places(value: Decimal | int) -> int:
    """Decimals actually written, trailing zeros ignored: ``Decimal('2.50')`` -> 1."""
    exponent = Decimal(value).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def bounded(value: Decimal | int) -> Decimal:
    """``value`` rounded half-up to at most :data:`MAX_SIGNIFICANT` significant digits (a derived
    value shown in a message, such as one side of a check over ``a / 3``)."""
    value = Decimal(value)
    if not value.is_finite() or significant_digits(value) <= MAX_SIGNIFICANT:
        return value
    return _BOUND.plus(value)


def fmt(value: Decimal | int | None) -> str:
    """``Decimal('4.50')`` -> ``'4.5'``, ``Decimal('5.0')`` -> ``'5'``; never scientific."""
    if value is None:
        return ""
    value = Decimal(value)
    if not value.is_finite():
        return str(value)
    whole = value.to_integral_value()
    if value == whole:
        return format(whole, "f")
    return format(value.normalize(_WIDE), "f")


def json_number(value: Decimal | int | None) -> int | float | None:
    """A JSON number that prints exactly as :func:`fmt` does (integers exactly, whatever their size).

    The digits policy keeps every non-integer the core produces within 15 significant digits, which
    a float carries exactly; a value beyond that (only a direct caller can make one) is rounded to
    15 significant digits rather than failing or becoming something else."""
    if value is None:
        return None
    value = Decimal(value)
    if value == value.to_integral_value():
        return int(value)
    return float(bounded(value))
