"""When a clinician can be booked: weekly windows in their own zone, minus time off. No boto3."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from functions.schedule.models import AvailabilityRecord


def unavailable_reason(
    availability: AvailabilityRecord | None, time_zone: str, start: datetime, end: datetime
) -> str | None:
    """Why [start, end) cannot be booked with this clinician, or None when it can.

    Windows are wall-clock times in the clinician's zone, so a 09:00-17:00 window means
    09:00-17:00 local on both sides of a DST change.
    """
    if availability is None or not availability.weekly:
        return "the clinician has not published availability"
    zone = ZoneInfo(time_zone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_start.date() != local_end.date() and local_end.time() != datetime.min.time():
        return "the session crosses midnight in the clinician's time zone"
    end_time = local_end.time() if local_end.date() == local_start.date() else datetime.max.time()
    inside = any(
        window.weekday == local_start.weekday()
        and window.start <= local_start.time()
        and end_time <= window.end
        for window in availability.weekly
    )
    if not inside:
        return "outside the clinician's weekly availability"
    for off in availability.time_off:
        if off.start < end and start < off.end:
            return "the clinician is on time off then"
    return None
