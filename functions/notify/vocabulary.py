"""Notifications' domain vocabulary: the one place these words are spelt."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class MessageStatus(StrEnum):
    PENDING = "pending"
    """Waiting for its due time (in the due index the minute sweep reads)."""
    QUEUED = "queued"
    """Claimed by a sweep and put on the send queue; the sender owns it now."""
    SENT = "sent"
    FAILED = "failed"
    """Kept failing until the queue's last delivery; the reason is on the message."""
    SKIPPED_CAP = "skipped_cap"
    """An SMS reminder over the person's daily or weekly limit."""
    SKIPPED_NO_CONSENT = "skipped_no_consent"
    """The person has not consented to (or opted out of, or switched off) this channel."""
    SKIPPED_NO_CONTACT = "skipped_no_contact"
    """No address on file for the channel."""
    DROPPED_QUIET_HOURS = "dropped_quiet_hours"
    """Due in quiet hours, and the session would have started by the end of them."""
    CANCELLED = "cancelled"
    """A reminder whose session was cancelled or moved before it could be sent."""
    EXPIRED = "expired"
    """A reminder that reached the sender only after its session had started."""


# Nothing more happens to a message in one of these states.
FINAL_STATUSES: frozenset[MessageStatus] = frozenset(MessageStatus) - {
    MessageStatus.PENDING,
    MessageStatus.QUEUED,
}


class MessageKind(StrEnum):
    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    REMINDER = "reminder"
    MISSED_SESSION = "missed_session"
    """Follow-up after a no-show or late cancel, with the makeup options."""
    WAITLIST_PROMOTION = "waitlist_promotion"
    WEEKLY_DIGEST = "weekly_digest"
    AUTHORIZATION_LOW = "authorization_low"
    """Coordinators: a prior authorization is running out of units."""
    AUTHORIZATION_EXPIRING = "authorization_expiring"
    ELIGIBILITY_PROBLEM = "eligibility_problem"
    DLQ_ALERT = "dlq_alert"


SESSION_KINDS: frozenset[MessageKind] = frozenset(
    {MessageKind.BOOKED, MessageKind.RESCHEDULED, MessageKind.CANCELLED, MessageKind.REMINDER}
)
NOTICE_KINDS: frozenset[MessageKind] = frozenset(
    {MessageKind.BOOKED, MessageKind.RESCHEDULED, MessageKind.CANCELLED}
)
COORDINATOR_KINDS: frozenset[MessageKind] = frozenset(
    {
        MessageKind.AUTHORIZATION_LOW,
        MessageKind.AUTHORIZATION_EXPIRING,
        MessageKind.ELIGIBILITY_PROBLEM,
        MessageKind.DLQ_ALERT,
    }
)


class Topic(StrEnum):
    """What a message is about: a person chooses their channels per topic."""

    REMINDERS = "reminders"
    CHANGES = "changes"
    """Booked, moved, cancelled, and a waitlist seat that opened up."""
    FOLLOW_UPS = "follow_ups"
    """After a missed session: the makeup options."""
    DIGESTS = "digests"
    ALERTS = "alerts"
    """Coordinators' alerts (authorizations, eligibility, undeliverable messages)."""


TOPIC_OF: dict[MessageKind, Topic] = {
    MessageKind.REMINDER: Topic.REMINDERS,
    MessageKind.BOOKED: Topic.CHANGES,
    MessageKind.RESCHEDULED: Topic.CHANGES,
    MessageKind.CANCELLED: Topic.CHANGES,
    MessageKind.WAITLIST_PROMOTION: Topic.CHANGES,
    MessageKind.MISSED_SESSION: Topic.FOLLOW_UPS,
    MessageKind.WEEKLY_DIGEST: Topic.DIGESTS,
    **{kind: Topic.ALERTS for kind in COORDINATOR_KINDS},
}

# Without a choice of their own a person hears about everything on every channel they can be
# reached on (SMS only with consent), except the digest and alerts, which are email only.
DEFAULT_TOPIC_CHANNELS: dict[Topic, tuple[Channel, ...]] = {
    Topic.REMINDERS: (Channel.EMAIL, Channel.SMS),
    Topic.CHANGES: (Channel.EMAIL, Channel.SMS),
    Topic.FOLLOW_UPS: (Channel.EMAIL, Channel.SMS),
    Topic.DIGESTS: (Channel.EMAIL,),
    Topic.ALERTS: (Channel.EMAIL,),
}


class SeriesStatus(StrEnum):
    """A person's place in a group series, as notify keeps it (schedule's enrolment status)."""

    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"


class SeriesRole(StrEnum):
    """Whose place in a group series a series item is: a participant's (kept from their
    enrolment records) or the facilitator's (kept from the participants': active while at
    least one participant is enrolled under them)."""

    PARTICIPANT = "participant"
    FACILITATOR = "facilitator"


class ConsentSource(StrEnum):
    """Where SMS consent was given."""

    WEB = "web"
    """The person, in the app."""
    COORDINATOR = "coordinator"
    """A coordinator recorded it for the person (e.g. from the signed intake form)."""
    SMS_START = "sms_start"
    """The person texted START (or UNSTOP)."""


class Language(StrEnum):
    EN = "en"
    ES = "es"


ENTITY_PREFERENCES = "PREFERENCES"
ENTITY_MESSAGE = "MESSAGE"
ENTITY_SESSION_NOTICES = "SESSION_NOTICES"
ENTITY_SMS_CAP = "SMS_CAP"
ENTITY_PHONE = "PHONE"
ENTITY_UPCOMING = "UPCOMING"
ENTITY_FAILURE = "FAILURE"
ENTITY_GROUP_SERIES = "GROUP_SERIES"
ENTITY_JOB_RUN = "JOB_RUN"
ENTITY_DLQ_INCIDENT = "DLQ_INCIDENT"

# Program defaults for reminders: a day before and an hour before (what a saved preferences
# record's `reminder_offsets_minutes` starts from; they are the person's email offsets).
DEFAULT_REMINDER_OFFSETS_MINUTES = (1440, 60)
# Without any saved preferences: one email a day before; SMS two hours before (with consent).
DEFAULT_EMAIL_OFFSETS_MINUTES = (1440,)
DEFAULT_SMS_OFFSETS_MINUTES = (120,)

# Healthcare-message limits for SMS reminders, per person (local day, ISO week in their zone).
SMS_REMINDERS_PER_DAY = 1
SMS_REMINDERS_PER_WEEK = 3

# The send queue dead-letters after this many receives (infra/messaging.py MAX_RECEIVE_COUNT;
# a unit test keeps the two equal). The sender records the final failure on the last one.
MAX_RECEIVES = 5

FAILURES_ROUTE = "/notifications/failures"
"""The coordinators' list of messages that failed for good (what a DLQ alert points to)."""

SENDER_NAME = "Tandem Care"
DEFAULT_APP_URL = "https://app.tandem.health"
