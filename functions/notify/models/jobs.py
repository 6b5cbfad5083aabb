"""The hourly jobs' markers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pydantic import ConfigDict

from functions.common.models import StoredRecord, iso
from functions.notify import keys
from functions.notify.vocabulary import ENTITY_JOB_RUN


class JobRun(StoredRecord):
    """That an hourly job finished its work for one UTC hour (`JOB#<name>` / `HOUR#<hour>`),
    so running it every minute does the work once an hour, and a run that failed is
    repeated by the next one."""

    model_config = ConfigDict(frozen=True)

    job: str
    hour: str
    finished_at: datetime

    RETAIN: ClassVar[timedelta] = timedelta(days=2)

    def to_attributes(self) -> dict[str, Any]:
        return {
            **keys.job_run_key(self.job, self.hour),
            "entity": ENTITY_JOB_RUN,
            "job": self.job,
            "hour": self.hour,
            "finished_at": iso(self.finished_at),
            "expires_at": int((self.finished_at.astimezone(UTC) + self.RETAIN).timestamp()),
        }
