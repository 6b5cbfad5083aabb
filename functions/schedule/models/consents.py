"""Part 2 consents and disclosures: the terms a consent names (42 CFR 2.31), what readers
are shown of consents and of who saw a participant's Part 2 items (42 CFR 2.24)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from functions.common.models import ResourceId, SingleLine
from functions.schedule.vocabulary import CareRole, ConsentScope, ConsentSource

ConsentPurpose = Annotated[SingleLine, StringConstraints(min_length=3, max_length=300)]


class _ConsentTerms(BaseModel):
    """The elements 42 CFR 2.31 asks of a consent: who may receive, what, why, until when."""

    model_config = ConfigDict(extra="forbid")

    recipient_ids: Annotated[list[ResourceId], Field(max_length=10)] = Field(
        default_factory=list, description="Named staff (clinicians or coordinators) who may see them."
    )
    recipient_roles: Annotated[list[CareRole], Field(max_length=4)] = Field(
        default_factory=list,
        description="Positions on the participant's care team (whoever holds them when a read happens).",
    )
    scope: ConsentScope = Field(
        default=ConsentScope.PART2_SCHEDULE, description="What they may see: the Part 2 schedule items."
    )
    purpose: ConsentPurpose = Field(description="Why, in the participant's words (e.g. to coordinate care).")
    expires_on: date | None = Field(
        default=None,
        description="The last day it holds (the participant's zone); at most two years ahead. "
        "`expires_on`, `expiry_event` or both are required.",
    )
    expiry_event: Annotated[SingleLine, StringConstraints(min_length=3, max_length=200)] | None = Field(
        default=None,
        description="An event it ends with (e.g. discharge). Tandem cannot observe it: revoke the "
        "consent when it happens.",
    )


class Part2ConsentIn(_ConsentTerms):
    """A participant's own consent, signed in the app."""

    attest: Literal[True] = Field(
        description="The participant's signature: they have read these terms and consent to them. "
        "The server records the time."
    )


class PaperPart2ConsentIn(_ConsentTerms):
    """A consent the participant signed on paper, recorded by a coordinator."""

    document_reference: Annotated[SingleLine, StringConstraints(min_length=1, max_length=200)] = Field(
        description="Where the signed document is kept (an id in the document system)."
    )
    signed_on: date = Field(description="The date on the signed document (not in the future).")


class Part2ConsentOut(BaseModel):
    consent_id: str
    participant_id: str
    recipient_ids: list[str]
    recipient_roles: list[CareRole]
    scope: ConsentScope
    purpose: str
    expires_on: date | None = None
    expiry_event: str | None = None
    source: ConsentSource
    document_reference: str | None = None
    signed_on: date | None = None
    attested_at: datetime = Field(description="When Tandem recorded the signature (server clock).")
    recorded_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    status: Literal["active", "expired", "revoked"]


class Part2ConsentList(BaseModel):
    items: list[Part2ConsentOut]


class Part2AccessOut(BaseModel):
    """One read that showed the participant's Part 2 items in full to someone else (42 CFR 2.24)."""

    actor_id: str = Field(description="Who was shown them (a person id).")
    actor_role: str = Field(description="Their role then: `clinician` or `coordinator`.")
    at: datetime
    action: str = Field(
        description="The read, e.g. `schedule.read`, `session.read`, `calendar_feed.read`, `person.read`."
    )
    item_ids: list[str] = Field(
        description="The Part 2 items shown: session ids, `<group_id>@<start>` for group occurrences, "
        "a group id for a Part 2 group's roster; empty when the read names no item (a care team "
        "naming the substance-use counselor, a profile saying the participant needs that counseling)."
    )


class Part2AccessPage(BaseModel):
    items: list[Part2AccessOut] = Field(description="Newest first.")
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next (older) page.")
