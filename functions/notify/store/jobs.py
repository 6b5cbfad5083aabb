"""The hourly jobs' markers: one item per job and UTC hour whose work is done."""

from __future__ import annotations

from functions.common.dynamo import get_item, to_item
from functions.notify import keys
from functions.notify.models import JobRun
from functions.notify.store.base import StoreBase


class JobStore(StoreBase):
    def job_done(self, job: str, hour: str) -> bool:
        return get_item(self._client, self.table, keys.job_run_key(job, hour)) is not None

    def mark_job_done(self, run: JobRun) -> None:
        self._client.put_item(TableName=self.table, Item=to_item(run.to_attributes()))
