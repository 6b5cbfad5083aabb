"""Notifications' shapes: input, output and stored, mapped explicitly; one module per feature
(`preferences`, `sessions`, `messages`, `history`, `groups`, `jobs`, `dead_letters`). Every
name is re-exported here."""

from __future__ import annotations

from functions.notify.models.dead_letters import DlqIncident
from functions.notify.models.groups import GroupSeries
from functions.notify.models.history import FailureEntry, FailuresPage, HistoryEntry, HistoryPage
from functions.notify.models.jobs import JobRun
from functions.notify.models.messages import Attempt, FailureRecord, FinishedMessage, MessageRecord
from functions.notify.models.preferences import (
    Choices,
    MobileNumber,
    PhoneNumbers,
    PreferencesBase,
    PreferencesIn,
    PreferencesOut,
    PreferencesRecord,
    ReminderOffset,
    ReminderOffsets,
    SmsConsent,
    SmsConsentOut,
    TopicChannels,
)
from functions.notify.models.sessions import SessionNotices, UpcomingSession

__all__ = [
    "Attempt",
    "Choices",
    "DlqIncident",
    "FailureEntry",
    "FailureRecord",
    "FailuresPage",
    "FinishedMessage",
    "GroupSeries",
    "HistoryEntry",
    "HistoryPage",
    "JobRun",
    "MessageRecord",
    "MobileNumber",
    "PhoneNumbers",
    "PreferencesBase",
    "PreferencesIn",
    "PreferencesOut",
    "PreferencesRecord",
    "ReminderOffset",
    "ReminderOffsets",
    "SessionNotices",
    "SmsConsent",
    "SmsConsentOut",
    "TopicChannels",
    "UpcomingSession",
]
