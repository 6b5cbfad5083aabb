"""Exact money: amounts are integer cents, rates are Decimal. Never float. No I/O.

Rounding: a percentage of an amount (coinsurance) is rounded to the cent ROUND_HALF_UP,
once per amount, so 20% of $0.05 is $0.01 and 12.5% of $1.00 is $0.13.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)


def format_usd(cents: int) -> str:
    """`123456` -> `"$1,234.56"`; negative amounts read `"-$1.00"`."""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}.{rest:02d}"


def to_cents(amount: str | Decimal | int) -> int:
    """Dollars to exact cents: `"1,234.56"`, `"$75"`, `Decimal("75.5")` or a whole-dollar int.

    Refuses floats and fractions of a cent (an amount that is not exact is a bug upstream).
    """
    if isinstance(amount, bool) or not isinstance(amount, str | Decimal | int):
        raise TypeError(f"money must be str, Decimal or int dollars, not {type(amount).__name__}")
    if isinstance(amount, str):
        text = amount.strip().replace(",", "").replace("$", "", 1)
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"not an amount of money: {amount!r}") from None
    value = Decimal(amount) * _HUNDRED
    if not value.is_finite() or value != value.to_integral_value():
        raise ValueError(f"not a whole number of cents: {amount!r}")
    return int(value)


def to_dollars(cents: int) -> Decimal:
    """`12345` -> `Decimal("123.45")`."""
    return (Decimal(cents) / _HUNDRED).quantize(_CENT)


def percent_of(cents: int, rate: Decimal) -> int:
    """`rate` (e.g. `Decimal("0.20")`) of `cents`, rounded to the cent ROUND_HALF_UP."""
    return int((Decimal(cents) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_percent(rate: Decimal) -> str:
    """`Decimal("0.20")` -> `"20%"`, `Decimal("0.125")` -> `"12.5%"`."""
    text = format((rate * _HUNDRED).normalize(), "f")
    return f"{text}%"
