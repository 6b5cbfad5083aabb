"""Write X12: segments, text checks and the ISA/GS/ST ... SE/GE/IEA envelope of a 270 or 271."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal

from functions.coverage.x12.delimiters import Delimiters

IMPLEMENTATION = "005010X279A1"


def segment(d: Delimiters, tag: str, *elements: str) -> str:
    """One segment with its terminator; trailing empty elements are dropped as X12 requires."""
    values = list(elements)
    while values and values[-1] == "":
        values.pop()
    return d.element.join([tag, *values]) + d.segment


def check_text(value: str, where: str, d: Delimiters) -> None:
    """Raise ValueError when `value` holds a delimiter or a line break (the message names only `where`)."""
    if any(c in value for c in (*d, "\r", "\n")):
        raise ValueError(f"{where} contains an X12 delimiter or line break")


def wrap_interchange(
    body: Sequence[str],
    *,
    transaction: Literal["270", "271"],
    sender: tuple[str, str],
    receiver: tuple[str, str],
    control_number: int,
    created: datetime,
    usage: Literal["P", "T"],
    d: Delimiters,
) -> str:
    """ISA/GS/ST + `body` (finished segments, from BHT on) + SE/GE/IEA.

    `sender` and `receiver` are (qualifier, id) pairs; ids are padded to ISA's 15 characters.
    """
    if not 1 <= control_number <= 999_999_999:
        raise ValueError("control number must be 1..999999999")
    for (qualifier, ident), where in ((sender, "sender"), (receiver, "receiver")):
        if len(qualifier) != 2 or not 1 <= len(ident) <= 15:
            raise ValueError(f"{where} id must be 1..15 characters with a two-character qualifier")
        check_text(ident, f"{where} id", d)
    functional_id = "HS" if transaction == "270" else "HB"
    st_control = "0001"
    isa = segment(
        d,
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        sender[0],
        sender[1].ljust(15),
        receiver[0],
        receiver[1].ljust(15),
        created.strftime("%y%m%d"),
        created.strftime("%H%M"),
        d.repetition or "U",
        "00501",
        f"{control_number:09d}",
        "0",
        usage,
        d.component,
    )
    transaction_set = [segment(d, "ST", transaction, st_control, IMPLEMENTATION), *body]
    transaction_set.append(segment(d, "SE", str(len(transaction_set) + 1), st_control))
    return "".join(
        [
            isa,
            segment(
                d,
                "GS",
                functional_id,
                sender[1].strip(),
                receiver[1].strip(),
                created.strftime("%Y%m%d"),
                created.strftime("%H%M"),
                str(control_number),
                "X",
                IMPLEMENTATION,
            ),
            *transaction_set,
            segment(d, "GE", "1", str(control_number)),
            segment(d, "IEA", "1", f"{control_number:09d}"),
        ]
    )


def d8(day: date) -> str:
    return day.strftime("%Y%m%d")
