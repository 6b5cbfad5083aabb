"""Insurance plans: what a participant sees, and which plans are in force."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from functions.coverage.logic import plans
from functions.coverage.models import PlanRecord
from functions.coverage.vocabulary import PlanStatus, PlanType, SubscriberRelationship

TODAY = date(2025, 6, 15)
MEMBER_ID = "XQZ998877665544"


def _plan(**overrides: Any) -> PlanRecord:
    fields = {
        "person_id": "per_alex",
        "plan_id": "pln_1",
        "payer_name": "Acme Health",
        "plan_type": PlanType.PPO,
        "member_id": MEMBER_ID,
        "subscriber_relationship": SubscriberRelationship.SELF,
        "effective_from": date(2025, 1, 1),
        "effective_to": date(2025, 12, 31),
        "status": PlanStatus.ACTIVE,
    }
    fields.update(overrides)
    return PlanRecord(**fields)


def test_output_shows_only_last_four_of_member_id():
    out = plans.to_output(_plan())
    assert out.member_id_last4 == "5544"
    text = out.model_dump_json()
    assert MEMBER_ID not in text
    assert MEMBER_ID[:-4] not in text
    assert 'member_id"' not in text
    assert "per_alex" not in text


def test_output_without_member_id():
    assert plans.to_output(_plan(member_id=None)).member_id_last4 is None


def test_output_copies_plan_facts():
    out = plans.to_output(_plan())
    assert out.plan_id == "pln_1"
    assert out.payer_name == "Acme Health"
    assert out.plan_type is PlanType.PPO
    assert out.status is PlanStatus.ACTIVE
    assert out.effective_from == date(2025, 1, 1)
    assert out.effective_to == date(2025, 12, 31)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, True),
        ({"status": PlanStatus.PENDING_VERIFICATION}, True),
        ({"status": PlanStatus.INACTIVE}, False),
        ({"effective_from": None, "effective_to": None}, True),
        ({"effective_from": TODAY}, True),
        ({"effective_to": TODAY}, True),
        ({"effective_from": date(2025, 6, 16)}, False),
        ({"effective_to": date(2025, 6, 14)}, False),
        ({"effective_from": None, "effective_to": date(2025, 6, 14)}, False),
        ({"effective_from": date(2025, 7, 1), "effective_to": None}, False),
        ({"status": PlanStatus.INACTIVE, "effective_from": None, "effective_to": None}, False),
    ],
)
def test_in_force(overrides, expected):
    assert plans.in_force(_plan(**overrides), TODAY) is expected


def test_ordered_puts_plans_in_force_first_then_by_payer_name():
    # Given a lapsed plan from an early-alphabet payer and two current plans
    lapsed = _plan(plan_id="pln_a", payer_name="Aardvark Mutual", effective_to=date(2024, 12, 31))
    inactive = _plan(plan_id="pln_b", payer_name="Beta Care", status=PlanStatus.INACTIVE)
    zed = _plan(plan_id="pln_z", payer_name="Zed Health")
    blue = _plan(plan_id="pln_c", payer_name="blue shield")

    # When they are ordered for today
    result = plans.ordered([lapsed, zed, inactive, blue], TODAY)

    # Then in-force plans come first (case-insensitive payer order), then the rest
    assert [p.plan_id for p in result] == ["pln_c", "pln_z", "pln_a", "pln_b"]


def test_ordered_is_stable_by_plan_id_for_same_payer():
    second = _plan(plan_id="pln_2")
    first = _plan(plan_id="pln_1")
    assert [p.plan_id for p in plans.ordered([second, first], TODAY)] == ["pln_1", "pln_2"]
