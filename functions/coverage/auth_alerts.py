"""Raising prior-authorization alerts for coordinators, once per authorization and kind:
after attendance or a booking (units running low) and nightly (expiry seven days away)."""

from __future__ import annotations

from datetime import date, timedelta

from functions.coverage.alerts import AlertSink
from functions.coverage.logic import authorizations
from functions.coverage.logic.estimates import Coverage
from functions.coverage.store import CoverageStore


def raise_alerts(store: CoverageStore, sink: AlertSink, person_id: str, today: date) -> int:
    """Alerts the participant's authorizations owe now; each raised at most once."""
    coverage = Coverage.from_items(person_id, store.person_items(person_id))
    if not coverage.authorizations:
        return 0
    standings, _ = authorizations.apply_uses(
        coverage.authorizations,
        authorizations.uses_from(coverage.claims, coverage.booked, today=today, payers=coverage.payers),
    )
    raised = 0
    for standing in standings:
        record = standing.record
        for kind in authorizations.alerts_due(standing, today=today):
            # Sent before it is marked: a failed send is retried with the record (never lost);
            # two consumers racing may both send it, which coordinators can bear.
            sink.authorization(
                kind,
                participant_id=person_id,
                authorization_id=record.authorization_id,
                remaining=standing.remaining_after_consumed,
                end=record.end,
            )
            if store.mark_alerted(record.key(person_id, record.authorization_id), kind):
                raised += 1
    return raised


def expiry_sweep(store: CoverageStore, sink: AlertSink, today: date, *, lookback_days: int = 7) -> int:
    """Nightly: authorizations whose seven-day warning falls today (or in the days a missed
    run left behind), found in their gsi1 buckets, never by Scan."""
    people: set[str] = set()
    for back in range(lookback_days + 1):
        for item in store.expiring((today - timedelta(days=back)).isoformat()):
            people.add(str(item["person_id"]))
    return sum(raise_alerts(store, sink, person_id, today) for person_id in sorted(people))
