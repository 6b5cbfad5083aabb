"""The schedule table: the only package of this function that speaks DynamoDB.

Callers hold two objects, `ScheduleStore` and `GroupStore` (`stores`), each composed of one
class per section of the table, which also works on its own:

- `base`: the table, its client and batch reads (`StoreBase`, which every section extends;
  `Batch`, a batch read's items and the records taken from them)
- `people`: profiles, email uniqueness claims, people by kind or in batches
- `teams`: care teams, couples, caseloads, and a reader's relations and consents in one read
- `consents`: Part 2 consents
- `availability`: clinician availability
- `reservations`: the quarter-hours each person holds (what double booking fails on)
- `sessions`: booking, rescheduling, cancelling, attendance, privacy, rooms, coverage's flags
- `commitments`: each person's group commitments (what a booking must avoid)
- `makeups`: makeup offers
- `weeks`: the participant/week index (a person's week, group weeks and group attendance marks)
- `intensity`: each participant's week figures for the program-wide report
- `feeds`: calendar feed tokens and the items a feed reads
- `group_series`, `enrolment`, `group_attendance`: `GroupStore`'s sections (series and rosters;
  seats, waitlists and withdrawals; attendance at an occurrence)
"""

from functions.schedule.store.base import BATCH_GET_LIMIT, Batch
from functions.schedule.store.sessions import MAX_TRANSACTION_ITEMS
from functions.schedule.store.stores import GroupStore, ScheduleStore

__all__ = ["BATCH_GET_LIMIT", "MAX_TRANSACTION_ITEMS", "Batch", "GroupStore", "ScheduleStore"]
