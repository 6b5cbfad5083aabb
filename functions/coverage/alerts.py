"""Coordinator alerts coverage raises (an authorization running low or about to expire):
EventBridge events on the program's bus, for the notify function to turn into messages.
Details carry ids, counts and dates only: never names, member ids or clinical details."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Protocol

from functions.common.observability import logger

SOURCE = "tandem.coverage"
DETAIL_TYPES = {"low": "authorization.low", "expiring": "authorization.expiring"}
ELIGIBILITY_PROBLEM = "eligibility.problem"
AUTHORIZATION_FLAGS = "authorization.flags"
"""For the schedule: a participant's sessions now flagged (or no longer flagged) as outside
their authorizations' dates or beyond their units."""


class AlertSink(Protocol):
    def eligibility(self, *, participant_id: str, plan_id: str, problem: str) -> None: ...

    def authorization(
        self, kind: str, *, participant_id: str, authorization_id: str, remaining: int, end: date
    ) -> None: ...

    def flags(self, *, participant_id: str, flags: dict[str, list[str]], computed_at: str) -> None: ...


class EventBridgeAlerts:
    def __init__(self, client: Any, bus_name: str) -> None:
        self._client = client
        self._bus = bus_name

    def eligibility(self, *, participant_id: str, plan_id: str, problem: str) -> None:
        self._put(
            ELIGIBILITY_PROBLEM, {"participant_id": participant_id, "plan_id": plan_id, "problem": problem}
        )

    def authorization(
        self, kind: str, *, participant_id: str, authorization_id: str, remaining: int, end: date
    ) -> None:
        detail = {
            "participant_id": participant_id,
            "authorization_id": authorization_id,
            "remaining": remaining,
            "end": end.isoformat(),
        }
        self._put(DETAIL_TYPES[kind], detail)

    def flags(self, *, participant_id: str, flags: dict[str, list[str]], computed_at: str) -> None:
        detail = {"participant_id": participant_id, "flags": flags, "computed_at": computed_at}
        self._put(AUTHORIZATION_FLAGS, detail)

    def _put(self, detail_type: str, detail: dict[str, Any]) -> None:
        response = self._client.put_events(
            Entries=[
                {
                    "Source": SOURCE,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail),
                    "EventBusName": self._bus,
                }
            ]
        )
        if response.get("FailedEntryCount"):
            raise RuntimeError("the alert event was not accepted")


class LoggedAlerts:
    """Where no bus is configured (a bare local run): the alert is logged, ids only."""

    def eligibility(self, *, participant_id: str, plan_id: str, problem: str) -> None:
        logger.warning("eligibility alert", extra={"plan_id": plan_id, "problem": problem})

    def authorization(
        self, kind: str, *, participant_id: str, authorization_id: str, remaining: int, end: date
    ) -> None:
        logger.warning("authorization alert", extra={"kind": kind, "authorization_id": authorization_id})

    def flags(self, *, participant_id: str, flags: dict[str, list[str]], computed_at: str) -> None:
        logger.info("authorization flags not sent: no bus", extra={"sessions": len(flags)})


def alerts_from_env(bus_name: str | None, client_factory: Any) -> AlertSink:
    return EventBridgeAlerts(client_factory("events"), bus_name) if bus_name else LoggedAlerts()
