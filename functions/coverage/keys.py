"""Every key of the coverage table: the one module that spells them (a unit test,
`tests/unit/test_table_keys.py`, fails if another module of coverage does). Pure: no boto3.

The table has `pk`/`sk` and one index, `gsi1` (`gsi1pk`/`gsi1sk`).

Partition `PERSON#<participant>`: everything coverage keeps for one participant, so an
estimate reads it in one Query. Sort keys (gsi1 attributes, where an item has them):

    PLAN#<plan>                        a plan
                                       gsi1 FAMILY#<hash> / <participant>#<plan>: its insurance
                                       family, when known (partners on one family plan)
    TERMS#<plan>                       the plan's confirmed terms (from its SBC)
    ELIG#<plan>#<checked_at>#<check>   one eligibility check's result (history)
    ELIGX12#<plan>#<check>             that check's raw 270 and 271 (coordinators)
    ELIGLATEST#<plan>                  the plan's latest result (a copy)
                                       gsi1 ELIG_DUE#<yyyy-mm-dd> / <due>#<participant>#<plan>:
                                       while a re-check is due
    AUTH#<authorization>               a prior authorization
                                       gsi1 AUTH_EXPIRY#<yyyy-mm-dd> / <participant>#<authorization>:
                                       the day its expiry warning is due
    AUTHFLAGS                          the sessions last flagged on the schedule
    BOOKED#<session>                   a booked session's projected use
    CLAIM#<source>                     a projected claim
    ATTENDED#<yyyy-mm-dd>              a per-diem day's ledger of attended services
    FAMSHARE#<member>#<source>         what another member of the insurance family claimed
                                       toward the family's deductible and out-of-pocket maximum
    BILLING#<couple>                   the couple's billing choice (filed with each partner)
    PRICES                             the participant's copy of the prices
                                       gsi1 PRICES / <participant>: every holder of a copy
    P2CONSENT#<consent>                coverage's copy of a Part 2 consent

A claim's source is a session id, a group occurrence (`<group>@<occurrence start>`) or a
per-diem day (`DAY#<yyyy-mm-dd>`, `day_source`).

Partition `BILLING`: the program's billing reference, `FEES#<payer>` (a payer's fee schedule)
and `CHARGEMASTER`.

Coverage also reads the schedule table (a person's kind, a couple's partners, a participant's
week): those keys are the schedule's and stay in `CoverageStore` until coverage keeps its own
projection of them (issue 17, part 1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final, TypeVar

from functions.common.models import iso

PK: Final = "pk"
SK: Final = "sk"
GSI1_PK: Final = "gsi1pk"
GSI1_SK: Final = "gsi1sk"
GSI1_ATTRIBUTES: Final = (GSI1_PK, GSI1_SK)

BILLING_PK: Final = "BILLING"
PRICES_BUCKET: Final = "PRICES"
"""The gsi1 bucket of every participant holding a copy of the prices."""


class PersonItem(StrEnum):
    """The items of a participant's partition, by the sort key's prefix (its first part) or,
    for `AUTHORIZATION_FLAGS` and `PRICES`, the whole sort key."""

    PLAN = "PLAN"
    TERMS = "TERMS"
    ELIGIBILITY_CHECK = "ELIG"
    ELIGIBILITY_X12 = "ELIGX12"
    ELIGIBILITY_LATEST = "ELIGLATEST"
    AUTHORIZATION = "AUTH"
    AUTHORIZATION_FLAGS = "AUTHFLAGS"
    BOOKED_USE = "BOOKED"
    CLAIM = "CLAIM"
    ATTENDED_DAY = "ATTENDED"
    FAMILY_SHARE = "FAMSHARE"
    COUPLE_BILLING = "BILLING"
    PRICES = "PRICES"
    PART2_CONSENT = "P2CONSENT"


class BillingItem(StrEnum):
    """The items of the `BILLING` partition, as `PersonItem`."""

    FEE_SCHEDULE = "FEES"
    CHARGEMASTER = "CHARGEMASTER"


_WHOLE: Final[frozenset[StrEnum]] = frozenset(
    {PersonItem.AUTHORIZATION_FLAGS, PersonItem.PRICES, BillingItem.CHARGEMASTER}
)
"""The kinds whose sort key is the kind alone (one such item per partition)."""

Kind = TypeVar("Kind", PersonItem, BillingItem)


def _join(*parts: str) -> str:
    return "#".join(parts)


def _key(pk: str, sk: str) -> dict[str, str]:
    return {PK: pk, SK: str(sk)}  # str(): a kind alone is a plain string, not its enum member


# --- partitions ---------------------------------------------------------------------------------


def person_pk(person_id: str) -> str:
    return _join("PERSON", person_id)


def sk_prefix(kind: PersonItem) -> str:
    """What every sort key of `kind` begins with (a `begins_with` condition)."""
    return _join(kind, "")


# --- a participant's items ----------------------------------------------------------------------


def plan_key(person_id: str, plan_id: str) -> dict[str, str]:
    return _key(person_pk(person_id), _join(PersonItem.PLAN, plan_id))


def terms_key(person_id: str, plan_id: str) -> dict[str, str]:
    return _key(person_pk(person_id), _join(PersonItem.TERMS, plan_id))


def eligibility_check_key(
    person_id: str, plan_id: str, checked_at: datetime, check_id: str
) -> dict[str, str]:
    return _key(person_pk(person_id), _join(PersonItem.ELIGIBILITY_CHECK, plan_id, iso(checked_at), check_id))


def eligibility_x12_key(person_id: str, plan_id: str, check_id: str) -> dict[str, str]:
    return _key(person_pk(person_id), _join(PersonItem.ELIGIBILITY_X12, plan_id, check_id))


def eligibility_latest_key(person_id: str, plan_id: str) -> dict[str, str]:
    return _key(person_pk(person_id), _join(PersonItem.ELIGIBILITY_LATEST, plan_id))


def authorization_key(person_id: str, authorization_id: str) -> dict[str, str]:
    return _key(person_pk(person_id), _join(PersonItem.AUTHORIZATION, authorization_id))


def authorization_flags_key(person_id: str) -> dict[str, str]:
    return _key(person_pk(person_id), PersonItem.AUTHORIZATION_FLAGS)


def booked_key(person_id: str, session_id: str) -> dict[str, str]:
    return _key(person_pk(person_id), _join(PersonItem.BOOKED_USE, session_id))


def claim_key(person_id: str, source_id: str) -> dict[str, str]:
    return _key(person_pk(person_id), _join(PersonItem.CLAIM, source_id))


def attended_day_key(person_id: str, day: str) -> dict[str, str]:
    """The ledger of one per-diem day (`day`: its ISO date)."""
    return _key(person_pk(person_id), _join(PersonItem.ATTENDED_DAY, day))


def family_share_key(person_id: str, from_person_id: str, source_id: str) -> dict[str, str]:
    """What `from_person_id`'s claim for `source_id` counts, filed with `person_id`."""
    return _key(person_pk(person_id), _join(PersonItem.FAMILY_SHARE, from_person_id, source_id))


def couple_billing_key(person_id: str, couple_id: str) -> dict[str, str]:
    return _key(person_pk(person_id), _join(PersonItem.COUPLE_BILLING, couple_id))


def prices_key(person_id: str) -> dict[str, str]:
    return _key(person_pk(person_id), PersonItem.PRICES)


def part2_consent_key(person_id: str, consent_id: str) -> dict[str, str]:
    return _key(person_pk(person_id), _join(PersonItem.PART2_CONSENT, consent_id))


def day_source(day: date) -> str:
    """The source id of a per-diem day's claim and of its projected use."""
    return _join("DAY", day.isoformat())


def is_day_source(source_id: str) -> bool:
    return source_id.startswith(_join("DAY", ""))


# --- the billing reference ----------------------------------------------------------------------


def fee_schedule_key(payer_id: str) -> dict[str, str]:
    return _key(BILLING_PK, _join(BillingItem.FEE_SCHEDULE, payer_id))


def chargemaster_key() -> dict[str, str]:
    return _key(BILLING_PK, BillingItem.CHARGEMASTER)


# --- gsi1 ---------------------------------------------------------------------------------------


def family_bucket(identity: str) -> str:
    """The gsi1 bucket of an insurance family (`identity`: what names it, hashed here so the
    index holds no name)."""
    return _join("FAMILY", hashlib.sha256(identity.encode()).hexdigest()[:24])


def family_index(family: str, person_id: str, plan_id: str) -> dict[str, str]:
    """A plan's place in its insurance family's bucket."""
    return {GSI1_PK: family, GSI1_SK: _join(person_id, plan_id)}


def family_member(item: Mapping[str, Any]) -> tuple[str, str]:
    """(person, plan) of a plan found in its family's bucket."""
    person_id, plan_id = str(item[GSI1_SK]).split("#", 1)
    return person_id, plan_id


def eligibility_due_bucket(day: date) -> str:
    return _join("ELIG_DUE", day.isoformat())


def eligibility_due_index(person_id: str, plan_id: str, due: datetime) -> dict[str, str]:
    """The gsi1 attributes of a latest result due for a re-check at `due`."""
    return {GSI1_PK: eligibility_due_bucket(due.date()), GSI1_SK: _join(iso(due), person_id, plan_id)}


def eligibility_due_until(now: datetime) -> str:
    """The greatest gsi1 sort key of a result due by `now`."""
    return iso(now) + "~"


def authorization_expiry_bucket(warn_on: date) -> str:
    return _join("AUTH_EXPIRY", warn_on.isoformat())


def authorization_expiry_index(person_id: str, authorization_id: str, warn_on: date) -> dict[str, str]:
    """An authorization's place in the bucket of the day its expiry warning is due."""
    return {GSI1_PK: authorization_expiry_bucket(warn_on), GSI1_SK: _join(person_id, authorization_id)}


def prices_holder_index(person_id: str) -> dict[str, str]:
    return {GSI1_PK: PRICES_BUCKET, GSI1_SK: person_id}


def prices_holder(item: Mapping[str, Any]) -> str:
    """The participant whose copy of the prices was found in the `PRICES` bucket."""
    return str(item[GSI1_SK])


# --- reading keys back --------------------------------------------------------------------------


def key_of(item: Mapping[str, Any]) -> dict[str, str]:
    """The key of a stored item."""
    return _key(str(item[PK]), str(item[SK]))


def sort_key(item: Mapping[str, Any]) -> str:
    return str(item[SK])


def without_partition(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item's attributes less its partition key (a billing item as a copy of the prices
    holds it)."""
    return {k: v for k, v in item.items() if k != PK}


def _kind(item: Mapping[str, Any], kinds: type[Kind]) -> Kind | None:
    prefix, sep, _ = str(item.get(SK, "")).partition("#")
    try:
        kind = kinds(prefix)
    except ValueError:
        return None
    return kind if bool(sep) is (kind not in _WHOLE) else None


def person_item(item: Mapping[str, Any]) -> PersonItem | None:
    """What an item of a participant's partition is, by its sort key (None: another kind)."""
    return _kind(item, PersonItem)


def billing_item(item: Mapping[str, Any]) -> BillingItem | None:
    """What an item of the `BILLING` partition is, by its sort key."""
    return _kind(item, BillingItem)
