"""Dead-letter incidents: the send queue's DLQ holding messages, from the sweep that alerted
the coordinators until one finds it empty."""

from __future__ import annotations

from collections.abc import Sequence

from botocore.exceptions import ClientError

from functions.common.dynamo import error_code, get_item, to_item
from functions.notify import keys
from functions.notify.models import DlqIncident, MessageRecord
from functions.notify.store.base import StoreBase


class DeadLetterStore(StoreBase):
    def get_dlq_incident(self, queue: str) -> DlqIncident | None:
        data = get_item(self._client, self.table, keys.dlq_incident_key(queue))
        return DlqIncident.from_attributes(data) if data else None

    def open_dlq_incident(self, incident: DlqIncident, alerts: Sequence[MessageRecord]) -> bool:
        """Record the incident and its alerts at once, only if no incident of the queue is open;
        False when one is (another sweep opened it first)."""
        return self._put_all_new([incident.to_attributes(), *(m.to_attributes() for m in alerts)])

    def close_dlq_incident(self, incident: DlqIncident) -> bool:
        """End this incident (not a later one another sweep opened meanwhile)."""
        try:
            self._client.delete_item(
                TableName=self.table,
                Key=to_item(keys.dlq_incident_key(incident.queue)),
                ConditionExpression="incident_id = :incident",
                ExpressionAttributeValues=to_item({":incident": incident.incident_id}),
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True
