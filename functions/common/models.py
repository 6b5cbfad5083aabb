"""Field types shared by the input models of every function."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BaseModel, Field, StringConstraints


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("not an IANA time zone") from exc
    if value not in _zones():
        raise ValueError("not an IANA time zone")
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

Email = Annotated[
    str,
    StringConstraints(
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254, strip_whitespace=True, to_lower=True
    ),
    Field(description="Email address", examples=["alex@example.com"]),
]

DisplayName = Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]

ResourceId = Annotated[str, StringConstraints(pattern=r"^[a-z]{1,4}_[0-9a-z]{8,40}$")]


def utc_now() -> datetime:
    """Now, to the second: the precision every stored time has, so a response built from a
    fresh record equals the one read back later."""
    return datetime.now(UTC).replace(microsecond=0)


def iso(value: datetime) -> str:
    """RFC 3339 in UTC with a `Z` suffix, the form every stored time takes."""
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class StoredRecord(BaseModel):
    """Base of the stored shapes: built back from an item's attributes, ignoring the keys,
    index attributes and entity markers that only the table needs."""

    @classmethod
    def from_attributes(cls, data: dict[str, Any]) -> Self:
        return cls.model_validate({k: v for k, v in data.items() if k in cls.model_fields})
