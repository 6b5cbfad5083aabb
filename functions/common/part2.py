"""42 CFR Part 2: what every domain shares of the program's policy. No boto3.

Which session and group types are Part 2 (`PART2_TYPE_NAMES`, plus the program's
`PART2_EXTRA_TYPES`), which coordinators see them in full (`PART2_COORDINATORS`: unset, every
coordinator; empty, none), when a consent is in force, and the redisclosure notice every
disclosure carries. The schedule decides what each reader sees of a schedule
(`functions/schedule/logic/sensitivity.py`), coverage what they see of estimates and bills
(`functions/coverage/logic/restricted.py`); both read the same settings through `Part2Settings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StringConstraints

from functions.common.auth import Principal, Role
from functions.common.config import Settings

PART2_TYPE_NAMES: frozenset[str] = frozenset({"substance_use_counseling", "sober_activity"})
"""Part 2 whatever the program says (the schedule's `PART2_TYPES`, spelt as strings for every
domain); `PART2_EXTRA_TYPES` adds to these, never removes."""

REDISCLOSURE_NOTICE = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
"""42 CFR 2.32(a)(2), the short statement a disclosure may carry (as amended in 2024)."""
REDISCLOSURE_HEADER = "Tandem-Redisclosure-Notice"
"""The response header carrying `REDISCLOSURE_NOTICE` whenever the body holds Part 2 records
for someone other than the participant."""

NOTICE_HEADER_DOC: dict[str, Any] = {
    REDISCLOSURE_HEADER: {
        "description": "The 42 CFR 2.32 redisclosure notice, when the body holds Part 2 records "
        "for someone other than the participant",
        "schema": {"type": "string"},
    }
}
"""The header as an OpenAPI response documents it."""

ConsentStatus = Literal["active", "expired", "revoked"]


class Sensitivity(StrEnum):
    """How a session or group type's records are protected."""

    STANDARD = "standard"
    """HIPAA: the participant, their care team and coordinators."""
    PART2 = "part2"
    """42 CFR Part 2: records that identify someone as receiving substance-use disorder
    treatment. In full only to the participant, the clinicians delivering the item, the
    coordinators the program names, and whoever the participant consented to; others see busy
    time."""


def notice_headers(discloses: bool) -> dict[str, str]:
    """The response headers a body holding Part 2 records for someone else carries."""
    return {REDISCLOSURE_HEADER: REDISCLOSURE_NOTICE} if discloses else {}


@dataclass(frozen=True)
class Part2Policy:
    """The program's Part 2 settings."""

    extra_types: frozenset[str] = frozenset()
    """Session or group types the program also treats as Part 2."""
    coordinators: frozenset[str] | None = None
    """The coordinators whose role needs Part 2 items (scheduling, billing); None: all of them."""

    def sensitivity(self, item_type: str | None) -> Sensitivity:
        if item_type is None:
            return Sensitivity.STANDARD
        if item_type in PART2_TYPE_NAMES or item_type in self.extra_types:
            return Sensitivity.PART2
        return Sensitivity.STANDARD

    def is_part2(self, item_type: str | None) -> bool:
        return self.sensitivity(item_type) is Sensitivity.PART2

    def coordinator_sees(self, principal: Principal) -> bool:
        if principal.role is not Role.COORDINATOR:
            return False
        return self.coordinators is None or principal.person_id in self.coordinators


def consent_status(revoked: bool, expires_on: date | None, today: date) -> ConsentStatus:
    """`today` is the participant's date (their zone): a consent holds through `expires_on`."""
    if revoked:
        return "revoked"
    if expires_on is not None and today > expires_on:
        return "expired"
    return "active"


def listed(value: Any) -> Any:
    """A comma-separated environment variable as a list (blank entries dropped)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


TypeName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class Part2Settings(Settings):
    """The program's Part 2 settings, read by every function that shows Part 2 records."""

    part2_extra_types: Annotated[frozenset[TypeName], BeforeValidator(listed)] = Field(
        default=frozenset(), alias="PART2_EXTRA_TYPES"
    )
    """Session or group types the program also treats as 42 CFR Part 2 (comma-separated)."""
    part2_coordinators: Annotated[frozenset[str], BeforeValidator(listed)] | None = Field(
        default=None, alias="PART2_COORDINATORS"
    )
    """The coordinators who see Part 2 items in full (comma-separated person ids); unset: all,
    empty: none."""

    def part2_policy(self) -> Part2Policy:
        return Part2Policy(
            extra_types=frozenset(str(t) for t in self.part2_extra_types),
            coordinators=self.part2_coordinators,
        )
