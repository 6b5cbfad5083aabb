"""Whether a message goes out now, waits or is skipped: decided at send time. No boto3.

Everything that can change between planning and sending is checked again here, with the
person's settings as they are now: a reminder's session must still be booked at the times
it was planned for and not have started; the channel needs consent and an address; quiet
hours defer (or drop) it. The SMS limits are the store's to enforce atomically; this module
only says whether a message counts against them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from functions.notify.logic.groups import group_reminder_current
from functions.notify.logic.quiet_hours import QuietHours, defer
from functions.notify.logic.reminders import quiet_hours_apply, reminder_still_current
from functions.notify.models import GroupSeries, MessageRecord, PreferencesRecord, SessionNotices
from functions.notify.vocabulary import TOPIC_OF, Channel, Language, MessageKind, MessageStatus


@dataclass(frozen=True)
class Send:
    address: str
    zone: str
    language: Language
    capped: bool
    """An SMS reminder: it counts against the person's daily and weekly limits."""


@dataclass(frozen=True)
class Skip:
    status: MessageStatus
    reason: str


@dataclass(frozen=True)
class Defer:
    until: datetime
    reason: str


Decision = Send | Skip | Defer


def zone_of(message: MessageRecord, prefs: PreferencesRecord | None) -> str:
    return (prefs.time_zone if prefs else None) or message.time_zone or "UTC"


def decide(
    message: MessageRecord,
    prefs: PreferencesRecord | None,
    session: SessionNotices | None,
    now: datetime,
    series: GroupSeries | None = None,
) -> Decision:
    """`session`: a session reminder's marker; `series`: a group reminder's series item."""
    reminder = message.kind is MessageKind.REMINDER
    if prefs is not None and prefs.deactivated:
        return Skip(MessageStatus.CANCELLED, "person deactivated")
    if reminder and not reminder_still_current(message, session):
        return Skip(MessageStatus.CANCELLED, "session cancelled or moved")
    if reminder and not group_reminder_current(message, series):
        return Skip(MessageStatus.CANCELLED, "no longer enrolled in the group")
    if reminder and message.start is not None and message.start <= now:
        return Skip(MessageStatus.EXPIRED, "session already started")

    if message.channel is Channel.SMS:
        if prefs is None or not prefs.sms_consented:
            return Skip(MessageStatus.SKIPPED_NO_CONSENT, "no SMS consent")
        if not prefs.preferences.sms_enabled:
            return Skip(MessageStatus.SKIPPED_NO_CONSENT, "SMS switched off")
        address = message.to or prefs.phone
    else:
        if prefs is not None and not prefs.preferences.email_enabled:
            return Skip(MessageStatus.SKIPPED_NO_CONSENT, "email switched off")
        address = message.to or (prefs.email if prefs else None)
    if message.kind is not None and prefs is not None:
        topic = TOPIC_OF[message.kind]
        if message.channel not in prefs.preferences.channels_for(topic):
            return Skip(
                MessageStatus.SKIPPED_NO_CONSENT, f"{message.channel.value} not chosen for {topic.value}"
            )
    if not address:
        return Skip(MessageStatus.SKIPPED_NO_CONTACT, f"no {message.channel.value} address")

    zone = zone_of(message, prefs)
    if quiet_hours_apply(message.kind, message.channel):
        quiet = QuietHours(zone=zone)
        if prefs is not None:
            quiet = QuietHours(prefs.preferences.quiet_hours_start, prefs.preferences.quiet_hours_end, zone)
        deferral = defer(now, quiet, session_start=message.start if reminder else None)
        if deferral.dropped:
            return Skip(MessageStatus.DROPPED_QUIET_HOURS, "session starts before quiet hours end")
        if deferral.deferred:
            return Defer(deferral.due, "quiet hours")

    return Send(
        address=address,
        zone=zone,
        language=prefs.language if prefs else Language.EN,
        capped=reminder and message.channel is Channel.SMS,
    )
