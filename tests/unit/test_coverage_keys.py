"""The coverage table's keys (`functions.coverage.keys`), spelt out where no integration test
reads them back by their stored text: stored items keep these exact keys, whatever the code
that builds them becomes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from functions.coverage import keys
from functions.coverage.keys import BillingItem, PersonItem
from local.seed import PLANS


@pytest.mark.parametrize(
    ("built", "stored"),
    [
        (keys.terms_key("per_a", "pln_1"), {"pk": "PERSON#per_a", "sk": "TERMS#pln_1"}),
        (keys.eligibility_latest_key("per_a", "pln_1"), {"pk": "PERSON#per_a", "sk": "ELIGLATEST#pln_1"}),
        (keys.authorization_key("per_a", "aut_1"), {"pk": "PERSON#per_a", "sk": "AUTH#aut_1"}),
        (
            keys.authorization_expiry_index("per_a", "aut_1", date(2026, 3, 3)),
            {"gsi1pk": "AUTH_EXPIRY#2026-03-03", "gsi1sk": "per_a#aut_1"},
        ),
        (keys.authorization_flags_key("per_a"), {"pk": "PERSON#per_a", "sk": "AUTHFLAGS"}),
        (keys.attended_day_key("per_a", "2026-03-10"), {"pk": "PERSON#per_a", "sk": "ATTENDED#2026-03-10"}),
        (keys.couple_billing_key("per_a", "cpl_1"), {"pk": "PERSON#per_a", "sk": "BILLING#cpl_1"}),
        (keys.fee_schedule_key("LSM01"), {"pk": "BILLING", "sk": "FEES#LSM01"}),
        (keys.chargemaster_key(), {"pk": "BILLING", "sk": "CHARGEMASTER"}),
        (keys.prices_holder_index("per_a"), {"gsi1pk": "PRICES", "gsi1sk": "per_a"}),
        (
            keys.eligibility_check_key("per_a", "pln_1", datetime(2026, 3, 10, 15, 30, tzinfo=UTC), "elg_1"),
            {"pk": "PERSON#per_a", "sk": "ELIG#pln_1#2026-03-10T15:30:00Z#elg_1"},
        ),
    ],
)
def test_a_key_as_stored(built: dict[str, str], stored: dict[str, str]) -> None:
    assert built == stored
    assert all(type(value) is str for value in built.values())  # plain strings, never enum members


def test_a_plan_of_a_family_is_in_its_family_bucket() -> None:
    # Given Taylor's own plan (payer PCP22, no group) and Casey's self-pay one
    taylor = next(plan for plan in PLANS if plan.person_id == "per_demotaylor")
    casey = next(plan for plan in PLANS if plan.person_id == "per_democasey")
    # Then Taylor's is stored under the bucket of its family's hash (as it always was:
    # sha256 of "PCP22||brooks|taylor|1993-01-22", 24 hex digits)
    attributes = taylor.to_attributes()
    assert {name: attributes[name] for name in ("pk", "sk", "gsi1pk", "gsi1sk")} == {
        "pk": "PERSON#per_demotaylor",
        "sk": "PLAN#pln_demobrooks01",
        "gsi1pk": "FAMILY#8546ebe8981c64b1d333f5fd",
        "gsi1sk": "per_demotaylor#pln_demobrooks01",
    }
    assert keys.family_member(attributes) == ("per_demotaylor", "pln_demobrooks01")
    # And a self-pay plan has no family, so it is stored without gsi1 attributes
    self_pay = casey.to_attributes()
    assert self_pay.get("gsi1pk") is None
    assert self_pay.get("gsi1sk") is None


@pytest.mark.parametrize(
    ("sk", "kind"),
    [
        ("PLAN#pln_1", PersonItem.PLAN),
        ("ELIG#pln_1#2026-03-10T15:30:00Z#elg_1", PersonItem.ELIGIBILITY_CHECK),
        ("ELIGLATEST#pln_1", PersonItem.ELIGIBILITY_LATEST),
        ("ELIGX12#pln_1#elg_1", PersonItem.ELIGIBILITY_X12),
        ("AUTH#aut_1", PersonItem.AUTHORIZATION),
        ("AUTHFLAGS", PersonItem.AUTHORIZATION_FLAGS),
        ("CLAIM#DAY#2026-03-10", PersonItem.CLAIM),
        ("PRICES", PersonItem.PRICES),
        ("P2CONSENT#c_1", PersonItem.PART2_CONSENT),
        # a kind's word alone, or a whole-key kind with more after it, is none of them
        ("PLAN", None),
        ("PRICES#x", None),
        ("AUTHFLAGS#x", None),
        ("PROFILE", None),
        ("", None),
    ],
)
def test_what_a_participants_item_is(sk: str, kind: PersonItem | None) -> None:
    assert keys.person_item({"pk": "PERSON#per_a", "sk": sk}) is kind


def test_what_a_billing_item_is_and_keys_read_back() -> None:
    assert keys.billing_item({"sk": "FEES#LSM01"}) is BillingItem.FEE_SCHEDULE
    assert keys.billing_item({"sk": "CHARGEMASTER"}) is BillingItem.CHARGEMASTER
    assert keys.billing_item({"sk": "CHARGEMASTER#x"}) is None
    assert keys.billing_item({}) is None
    claim = {**keys.claim_key("per_a", "ses_1"), "entity": "PROJECTED_CLAIM"}
    assert keys.key_of(claim) == {"pk": "PERSON#per_a", "sk": "CLAIM#ses_1"}
    assert keys.sk_prefix(PersonItem.ELIGIBILITY_LATEST) == "ELIGLATEST#"
    assert keys.prices_holder(keys.prices_holder_index("per_a")) == "per_a"
    assert keys.is_day_source(keys.day_source(date(2026, 3, 10)))
    assert not keys.is_day_source("ses_1")
    assert keys.eligibility_due_until(datetime(2026, 3, 10, 15, 30, tzinfo=UTC)) == "2026-03-10T15:30:00Z~"
