"""The notify table: the only package of this function that speaks DynamoDB. Its layout (every
key and index key) is `functions/notify/keys.py`'s.

`NotifyStore` is the one object callers hold, composed of one part per idea:
- `preferences`: preferences, contact data and SMS consent, the mobile-number lookup, a zone's people;
- `sessions`: each session's marker and its change's plan, people's upcoming sessions;
- `messages`: the outbox (messages written, read, retired while pending; failed for good);
- `claims`: the minute sweep's claims on due messages (and on claims the sender never took);
- `delivery`: the sender's record of each attempt and its outcome;
- `caps`: the SMS reminder limits;
- `history`: a person's finished messages and the month's failures (the history routes);
- `groups`: group series (participants' and facilitators' items) and their reminders;
- `jobs`: the hourly jobs' markers;
- `dead_letters`: the send queue's dead-letter incidents;
on `base`, the table, its client and the reads and writes they share.
"""

from __future__ import annotations

from functions.notify.store.base import BATCH_GET
from functions.notify.store.caps import SmsCapStore
from functions.notify.store.claims import MAX_LEASES, ClaimStore
from functions.notify.store.dead_letters import DeadLetterStore
from functions.notify.store.delivery import DeliveryStore
from functions.notify.store.groups import MAX_SERIES_TRIES, GroupSeriesStore, SeriesApplied, SeriesRaced
from functions.notify.store.history import HistoryStore
from functions.notify.store.jobs import JobStore
from functions.notify.store.preferences import PreferencesStore
from functions.notify.store.sessions import Applied, SessionStore


class NotifyStore(
    PreferencesStore,
    SessionStore,
    ClaimStore,
    DeliveryStore,
    SmsCapStore,
    HistoryStore,
    GroupSeriesStore,
    JobStore,
    DeadLetterStore,
):
    """The notify table, every part of it (`NotifyStore(table_name, client)`)."""


__all__ = [
    "BATCH_GET",
    "MAX_LEASES",
    "MAX_SERIES_TRIES",
    "Applied",
    "NotifyStore",
    "SeriesApplied",
    "SeriesRaced",
]
