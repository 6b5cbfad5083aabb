"""Raising prior-authorization alerts for coordinators, once per authorization and kind:
after attendance or a booking (units running low) and nightly (expiry seven days away)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

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


FLAGS_SK = "AUTHFLAGS"


def session_flags(coverage: Coverage, today: date) -> dict[str, list[str]]:
    """The participant's sessions their authorizations flag, by session id (a per-diem day's
    flag lands on each of that day's sessions; group occurrences are not sessions)."""
    _, flags = authorizations.apply_uses(
        coverage.authorizations,
        authorizations.uses_from(coverage.claims, coverage.booked, today=today, payers=coverage.payers),
    )
    days: dict[str, list[str]] = {}
    for item in coverage.booked:
        days.setdefault(authorizations.day_source(date.fromisoformat(str(item["service_date"]))), []).append(
            str(item["source_id"])
        )
    for claim in coverage.claims:
        days.setdefault(str(claim["source_id"]), []).extend(str(s) for s in claim.get("covers") or [])
    found: dict[str, list[str]] = {}
    for flag in flags:
        for session_id in days.get(flag.source_id) or [flag.source_id]:
            if "@" in session_id or session_id.startswith("DAY#"):
                continue
            reasons = found.setdefault(session_id, [])
            if flag.reason not in reasons:
                reasons.append(flag.reason)
    return found


def publish_flags(
    store: CoverageStore,
    sink: AlertSink,
    person_id: str,
    today: date,
    *,
    session_id: str | None = None,
) -> dict[str, list[str]]:
    """Tell the schedule which of the participant's sessions are flagged now: the ones whose
    flags changed since last told, and `session_id` (just booked or moved: its copy on the
    schedule may have been written afresh) if it is or was flagged. Returns what was sent."""
    items = store.person_items(person_id)
    coverage = Coverage.from_items(person_id, items)
    current = session_flags(coverage, today)
    told = next((i for i in items if i.get("sk") == FLAGS_SK), None)
    before: dict[str, list[str]] = dict((told or {}).get("flags") or {})
    changed = {
        s: current.get(s, []) for s in sorted(set(before) | set(current)) if before.get(s) != current.get(s)
    }
    if session_id is not None and (session_id in current or session_id in before):
        changed[session_id] = current.get(session_id, [])  # its copy may have been written afresh
    if not changed:
        return {}
    # When the verdict was made, to the microsecond (the schedule keeps the newest it is told)
    made = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    sink.flags(participant_id=person_id, flags=changed, computed_at=made)
    store.put_item(
        {"pk": f"PERSON#{person_id}", "sk": FLAGS_SK, "entity": "AUTHORIZATION_FLAGS", "flags": current}
    )
    return changed


def expiry_sweep(store: CoverageStore, sink: AlertSink, today: date, *, lookback_days: int = 7) -> int:
    """Nightly: authorizations whose seven-day warning falls today (or in the days a missed
    run left behind), found in their gsi1 buckets, never by Scan."""
    people: set[str] = set()
    for back in range(lookback_days + 1):
        for item in store.expiring((today - timedelta(days=back)).isoformat()):
            people.add(str(item["person_id"]))
    return sum(raise_alerts(store, sink, person_id, today) for person_id in sorted(people))
