"""What a participant's prior authorizations say after a change: alerts for coordinators,
once per authorization and kind (units running low after attendance or a booking; expiry
seven days away, nightly), and the sessions flagged on the schedule (outside every
authorization's dates, or beyond its units)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from functions.coverage import keys
from functions.coverage.alerts import AlertSink
from functions.coverage.logic import authorizations
from functions.coverage.logic.estimates import Coverage
from functions.coverage.store import CoverageStore


def review(
    store: CoverageStore,
    sink: AlertSink,
    person_id: str,
    today: date,
    *,
    alerts: bool = True,
    flags: bool = True,
    session_id: str | None = None,
) -> int:
    """After a change to a participant's bookings, attendance or authorizations: raise the
    alerts their authorizations owe coordinators (`alerts`), and tell the schedule which of
    their sessions are flagged (`flags`). One read of their partition, the uses drawn once.
    Returns how many alerts were raised."""
    items = store.person_items(person_id)
    coverage = Coverage.from_items(person_id, items)
    if not coverage.authorizations and not any(_is_flags(i) for i in items):
        return 0  # no authorization, and nothing ever flagged: nothing to say
    standings, drawn = authorizations.apply_uses(
        coverage.authorizations,
        authorizations.uses_from(coverage.claims, coverage.booked, today=today, payers=coverage.payers),
    )
    raised = _raise(store, sink, person_id, standings, today) if alerts else 0
    if flags:
        told = next((i for i in items if _is_flags(i)), None)
        _publish(store, sink, person_id, session_flags(coverage, drawn), told, session_id)
    return raised


def _raise(
    store: CoverageStore,
    sink: AlertSink,
    person_id: str,
    standings: list[authorizations.Standing],
    today: date,
) -> int:
    """The alerts owed now; each raised at most once."""
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
            if store.mark_alerted(person_id, record.authorization_id, kind):
                raised += 1
    return raised


def session_flags(coverage: Coverage, drawn: list[authorizations.Flag]) -> dict[str, list[str]]:
    """The participant's sessions the drawn uses flag, by session id (a per-diem day's flag
    lands on each of that day's sessions; group occurrences are not sessions)."""
    days: dict[str, list[str]] = {}
    for item in coverage.booked:
        days.setdefault(keys.day_source(date.fromisoformat(str(item["service_date"]))), []).append(
            str(item["source_id"])
        )
    for claim in coverage.claims:
        days.setdefault(str(claim["source_id"]), []).extend(str(s) for s in claim.get("covers") or [])
    found: dict[str, list[str]] = {}
    for flag in drawn:
        for session_id in days.get(flag.source_id) or [flag.source_id]:
            if "@" in session_id or keys.is_day_source(session_id):
                continue
            reasons = found.setdefault(session_id, [])
            if flag.reason not in reasons:
                reasons.append(flag.reason)
    return found


def _publish(
    store: CoverageStore,
    sink: AlertSink,
    person_id: str,
    current: dict[str, list[str]],
    told: dict[str, Any] | None,
    session_id: str | None,
) -> None:
    """Tell the schedule the sessions whose flags changed since last told, and `session_id`
    (booked, moved or its attendance recorded: its copy on the schedule was written afresh)
    if it is or was flagged."""
    before: dict[str, list[str]] = dict((told or {}).get("flags") or {})
    changed = {
        s: current.get(s, []) for s in sorted(set(before) | set(current)) if before.get(s) != current.get(s)
    }
    if session_id is not None and (session_id in current or session_id in before):
        changed[session_id] = current.get(session_id, [])
    if not changed:
        return
    # When the verdict was made, to the microsecond (the schedule keeps the newest it is told)
    made = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    sink.flags(participant_id=person_id, flags=changed, computed_at=made)
    store.put_authorization_flags(person_id, current)


def _is_flags(item: dict[str, Any]) -> bool:
    """The item recording the sessions last flagged on the schedule."""
    return keys.person_item(item) is keys.PersonItem.AUTHORIZATION_FLAGS


def expiry_sweep(store: CoverageStore, sink: AlertSink, today: date, *, lookback_days: int = 7) -> int:
    """Nightly: authorizations whose seven-day warning falls today (or in the days a missed
    run left behind), found in their gsi1 buckets, never by Scan."""
    people: set[str] = set()
    for back in range(lookback_days + 1):
        for item in store.expiring(today - timedelta(days=back)):
            people.add(str(item["person_id"]))
    return sum(review(store, sink, person_id, today, flags=False) for person_id in sorted(people))
