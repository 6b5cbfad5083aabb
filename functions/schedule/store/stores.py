"""The two stores callers hold, each composed of its sections (one module per section)."""

from __future__ import annotations

from functions.schedule.store.availability import AvailabilityStore
from functions.schedule.store.commitments import CommitmentStore
from functions.schedule.store.consents import ConsentStore
from functions.schedule.store.enrolment import GroupEnrolmentStore
from functions.schedule.store.feeds import FeedStore
from functions.schedule.store.group_attendance import GroupAttendanceStore
from functions.schedule.store.intensity import IntensityStore
from functions.schedule.store.makeups import MakeupStore
from functions.schedule.store.people import PeopleStore
from functions.schedule.store.sessions import SessionStore
from functions.schedule.store.teams import TeamStore
from functions.schedule.store.weeks import WeekStore


class ScheduleStore(
    PeopleStore,
    TeamStore,
    ConsentStore,
    AvailabilityStore,
    SessionStore,
    CommitmentStore,
    MakeupStore,
    WeekStore,
    IntensityStore,
    FeedStore,
):
    """The schedule table: people, care teams and couples, consents, availability, sessions and
    their reservations, group commitments, makeup offers, weeks, intensity and calendar feeds."""


class GroupStore(GroupEnrolmentStore, GroupAttendanceStore):
    """Group series, seats, rosters and waitlists (in the schedule table)."""
