"""What the hourly jobs share: their settings, and doing an hour's work once.

Each hourly job records that it finished an hour (`JOB#<job>` / `HOUR#<UTC hour>`) and does
nothing more in that hour, so it may be scheduled every minute as well as every hour: a
run that failed leaves no record and the next run does the work again (everything the jobs
write is idempotent, so a run repeated after a partial failure creates nothing twice).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import Field

from functions.common.config import Settings
from functions.common.models import iso
from functions.common.observability import logger
from functions.notify.models import JobRun
from functions.notify.store import NotifyStore


class JobSettings(Settings):
    notify_table: str = Field(alias="NOTIFY_TABLE")


def hour_of(now: datetime) -> str:
    """`2027-06-01T16`: the UTC hour a run belongs to."""
    return iso(now)[:13]


def once_an_hour(
    store: NotifyStore, job: str, now: datetime, work: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    hour = hour_of(now)
    if store.job_done(job, hour):
        return {"done_already": hour}
    result = work()
    store.mark_job_done(JobRun(job=job, hour=hour, finished_at=now))
    logger.info("hourly job finished", extra={"job": job, "hour": hour, **result})
    return result
