"""The hourly weekly-digest job: on Sunday evening, local time, each person's week ahead.

Every hour it works out which zones are in their Sunday evening (`logic.digest`; from the
zone rules at run time, so DST never shifts it), reads the people of those zones (gsi1
`ZONE#<zone>` on their preferences; no Scan), and for each plans one digest per channel
they chose for digests, listing next week's sessions (their `NEXT#<person>` items) and
group occurrences (their series items, expanded; a facilitator's lists the occurrences of
the groups they lead while anyone is enrolled, as a clinician's lists the sessions they
hold). Ids `dig.<person>.<ISO week>.<channel>`
make it once per person and week however often the job runs. A week with nothing in it
sends nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import available_timezones

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import aws
from functions.common.config import load_settings
from functions.common.entry import background_entry
from functions.common.models import utc_now
from functions.common.observability import logger, metrics
from functions.notify.jobs import JobSettings, once_an_hour
from functions.notify.logic.digest import digest_zones, next_week, plan_digest, week_items
from functions.notify.logic.reminders import Recipient
from functions.notify.models import PreferencesRecord
from functions.notify.store import NotifyStore
from functions.notify.vocabulary import MessageKind

JOB = "weekly_digest"
SETTINGS = JobSettings


def digest_person(
    store: NotifyStore, person_id: str, prefs: PreferencesRecord | None, zone: str, now: datetime
) -> bool:
    """Plan one person's digest; True when one was written now."""
    person = Recipient.of(person_id, prefs, fallback_zone=zone)
    week = next_week(now, person.zone)
    if not person.channels_for(MessageKind.WEEKLY_DIGEST):
        return False
    items = week_items(
        week,
        store.upcoming_between(person_id, week.start, week.end),
        [s for s in store.person_series(person_id) if s.active],
    )
    messages = plan_digest(person, week, items, now)
    return bool(messages) and store.put_new_messages(messages)


def send_digests(store: NotifyStore, now: datetime) -> dict[str, Any]:
    zones = digest_zones(now, available_timezones())
    people = planned = 0
    for zone in zones:
        ids = store.people_in_zone(zone)
        preferences = store.get_preferences_many(ids)
        for person_id in ids:
            people += 1
            planned += digest_person(store, person_id, preferences.get(person_id), zone, now)
    metrics.add_metric(name="DigestsPlanned", unit="Count", value=planned)
    if zones:
        logger.info(
            "weekly digests planned", extra={"zones": len(zones), "people": people, "planned": planned}
        )
    return {"zones": len(zones), "people": people, "planned": planned}


def _run(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    store = NotifyStore(load_settings(JobSettings).notify_table, aws.client("dynamodb"))
    now = utc_now()
    return once_an_hour(store, JOB, now, lambda: send_digests(store, now))


lambda_handler = background_entry("notify", _run)
