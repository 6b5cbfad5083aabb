"""Field types shared by the input models of every function."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)

from functions.common.observability import logger, metrics


def _check_zone(value: str) -> str:
    # The known names first: anything else never reaches the file system, where a name too
    # long for a path is an OSError rather than a ValueError (a 500, not a 422).
    if value not in _zones():
        raise ValueError("not an IANA time zone")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError("not an IANA time zone") from exc
    return value


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


TimeZone = Annotated[
    str,
    AfterValidator(_check_zone),
    Field(description="IANA time zone, e.g. America/Chicago", examples=["America/Chicago"]),
]

US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "PR",
        "GU",
        "VI",
        "AS",
        "MP",
    ]
)


def _check_state(value: str) -> str:
    upper = value.upper()
    if upper not in US_STATES:
        raise ValueError("not a US state or territory code")
    return upper


UsState = Annotated[
    str,
    AfterValidator(_check_state),
    Field(description="Two-letter US state or territory code", examples=["TX"]),
]

PhoneE164 = Annotated[
    str,
    StringConstraints(pattern=r"^\+[1-9][0-9]{7,14}$"),
    Field(description="Phone number in E.164 form", examples=["+15125550100"]),
]

# --- text: no control characters -------------------------------------------------------------

_LINE_BREAKS = frozenset("\n\r\t")


def _control_characters(value: str, allowed: frozenset[str]) -> set[str]:
    return {c for c in value if c not in allowed and unicodedata.category(c) in {"Cc", "Cf", "Cs"}}


def _single_line(value: str) -> str:
    if _control_characters(value, frozenset()):
        raise ValueError("must not contain control or format characters (NUL, escapes, line breaks ...)")
    return value


def _multi_line(value: str) -> str:
    if _control_characters(value, _LINE_BREAKS):
        raise ValueError("must not contain control or format characters other than line breaks and tabs")
    return value


SingleLine = Annotated[str, AfterValidator(_single_line)]
"""Text a person reads on one line (names, titles, payers): no Unicode control (Cc) or format
(Cf) characters, so no NUL, terminal escape, line break or invisible direction mark."""
MultiLine = Annotated[str, AfterValidator(_multi_line)]
"""Free text meant to hold several lines (notes, reasons): as `SingleLine`, but line breaks
and tabs are fine."""

Email = Annotated[
    str,
    StringConstraints(
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254, strip_whitespace=True, to_lower=True
    ),
    AfterValidator(_single_line),
    Field(description="Email address", examples=["alex@example.com"]),
]

DisplayName = Annotated[
    str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True), AfterValidator(_single_line)
]

ResourceId = Annotated[str, StringConstraints(pattern=r"^[a-z]{1,4}_[0-9a-z]{8,40}$")]


# --- dates and times: bounded, so whatever is stored can be read back -----------------------

EARLIEST_YEAR, LATEST_YEAR = 1900, 2199
"""Every date or time a client sends falls in these years (narrower where the domain says)."""
SCHEDULING_PAST = timedelta(days=366)
SCHEDULING_AHEAD = timedelta(days=2 * 366)
"""Sessions, groups and time off: from a year ago to two years ahead of now."""


def _within_years(year: int) -> None:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValueError(f"must be in the years {EARLIEST_YEAR} to {LATEST_YEAR}")


def _bounded_date(value: date) -> date:
    _within_years(value.year)
    return value


def _bounded_instant(value: datetime) -> datetime:
    _within_years(value.year)  # the local year first: converting 9999-12-31T23:45-06:00 overflows
    offset = value.utcoffset()
    if offset is not None and offset % timedelta(minutes=1):
        raise ValueError("the offset must be whole minutes")
    _within_years(value.astimezone(UTC).year)
    return value


def _near_now(value: datetime) -> datetime:
    now = utc_now()
    if not now - SCHEDULING_PAST <= value <= now + SCHEDULING_AHEAD:
        raise ValueError("must be between a year ago and two years from now")
    return value


def _past_date(value: date) -> date:
    if value > utc_now().date():
        raise ValueError("must not be in the future")
    return value


CalendarDate = Annotated[
    date,
    AfterValidator(_bounded_date),
    Field(description=f"A date from {EARLIEST_YEAR}-01-01 to {LATEST_YEAR}-12-31."),
]
BirthDate = Annotated[date, AfterValidator(_bounded_date), AfterValidator(_past_date)]
Instant = Annotated[
    AwareDatetime,
    AfterValidator(_bounded_instant),
    Field(description=f"RFC 3339 with an offset, in the years {EARLIEST_YEAR} to {LATEST_YEAR}."),
]
SchedulingInstant = Annotated[
    AwareDatetime,
    AfterValidator(_bounded_instant),
    AfterValidator(_near_now),
    Field(description="RFC 3339 with an offset, from a year ago to two years from now."),
]
"""When a session, group occurrence or time off happens."""

ISO_WEEK_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2})-W(0[1-9]|[1-4][0-9]|5[0-3])$"
"""An ISO week such as 2026-W49, in the years above."""
ISO_MONTH_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])$"

_LOCAL_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$")


def _local_time(value: object) -> object:
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not _LOCAL_TIME.match(value):
        raise ValueError("a local time HH:MM or HH:MM:SS, without an offset")
    return value


LocalTime = Annotated[
    time,
    BeforeValidator(_local_time),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _LOCAL_TIME.pattern,
            "description": "A wall-clock time in the person's own time zone, HH:MM[:SS], no offset.",
            "examples": ["09:00:00"],
        }
    ),
]
"""A wall-clock time of day in someone's own zone: deliberately without an offset (a
quiet hour or a weekly window holds at 21:00 whatever the offset that day)."""


def utc_now() -> datetime:
    """Now, to the second: the precision every stored time has, so a response built from a
    fresh record equals the one read back later."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(value: datetime) -> str:
    """RFC 3339 in UTC with a `Z` suffix, the form every stored time takes."""
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


UNREADABLE_ITEMS_METRIC = "UnreadableItems"


class StoredRecord(BaseModel):
    """Base of the stored shapes: built back from an item's attributes, ignoring the keys,
    index attributes and entity markers that only the table needs."""

    @classmethod
    def from_attributes(cls, data: dict[str, Any]) -> Self:
        return cls.model_validate({k: v for k, v in data.items() if k in cls.model_fields})

    @classmethod
    def readable(cls, items: Iterable[dict[str, Any]]) -> list[Self]:
        """The records of `items` that load. One that does not (it no longer validates) is
        left out, logged by its key alone (never its attributes, which may hold PHI) and
        counted in the `UnreadableItems` metric (alarmed), so one bad item never fails a
        listing for everyone."""
        records = []
        for data in items:
            try:
                records.append(cls.from_attributes(data))
            except ValidationError as exc:
                logger.error(
                    "unreadable item left out",
                    extra={
                        "record": cls.__name__,
                        "pk": str(data.get("pk")),
                        "sk": str(data.get("sk")),
                        "fields": sorted({".".join(map(str, e["loc"])) for e in exc.errors()}),
                    },
                )
                metrics.add_metric(name=UNREADABLE_ITEMS_METRIC, unit="Count", value=1)
        return records
