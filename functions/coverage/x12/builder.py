"""Build an X12 005010X279A1 270 eligibility inquiry. Pure: no I/O, no clock, no logging.

Also holds what a 270 says (`EligibilityRequest`, with its subscriber and dependent), which the
271 renderer answers too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Literal

from pydantic import Field, field_validator, model_validator

from functions.coverage.vocabulary import SubscriberRelationship
from functions.coverage.x12.codes import RELATIONSHIP_CODES
from functions.coverage.x12.delimiters import X12_DELIMITERS, Delimiters
from functions.coverage.x12.envelope import check_text, d8, segment, wrap_interchange
from functions.coverage.x12.models import X12Model
from functions.coverage.x12.service_types import DEFAULT_SERVICE_TYPES, SERVICE_TYPES


class Subscriber(X12Model):
    """The plan's subscriber (loop 2100C)."""

    first_name: str = Field(min_length=1, max_length=35)
    last_name: str = Field(min_length=1, max_length=60)
    member_id: str = Field(min_length=2, max_length=80)
    birth_date: date
    group_number: str | None = Field(default=None, min_length=1, max_length=50)


class Dependent(X12Model):
    """The patient when not the subscriber (loop 2100D)."""

    first_name: str = Field(min_length=1, max_length=35)
    last_name: str = Field(min_length=1, max_length=60)
    birth_date: date
    relationship: SubscriberRelationship

    @field_validator("relationship")
    @classmethod
    def _not_self(cls, value: SubscriberRelationship) -> SubscriberRelationship:
        if value is SubscriberRelationship.SELF:
            raise ValueError("a dependent cannot be the subscriber; leave dependent empty instead")
        return value


class EligibilityRequest(X12Model):
    """Everything a 270 says. `service_types` become one EQ each, in order (duplicates dropped)."""

    control_number: int = Field(ge=1, le=999_999_999, description="ISA13/GS06; unique per interchange")
    created: datetime = Field(description="Interchange date and time (the caller's clock)")
    sender_id: str = Field(min_length=1, max_length=15)
    receiver_id: str = Field(min_length=1, max_length=15)
    sender_qualifier: str = Field(default="ZZ", min_length=2, max_length=2)
    receiver_qualifier: str = Field(default="ZZ", min_length=2, max_length=2)
    usage: Literal["P", "T"] = "P"
    payer_name: str = Field(min_length=1, max_length=60)
    payer_id: str = Field(min_length=2, max_length=80)
    provider_name: str = Field(min_length=1, max_length=60, description="Organisation or last name")
    provider_first_name: str | None = Field(default=None, min_length=1, max_length=35)
    provider_npi: str = Field(pattern=r"^\d{10}$")
    subscriber: Subscriber
    dependent: Dependent | None = None
    date_of_service: date
    service_types: tuple[str, ...] = DEFAULT_SERVICE_TYPES
    trace_number: str = Field(min_length=1, max_length=50, description="TRN02, echoed in the 271")
    trace_originator: str = Field(
        default="9TANDEMIOP", pattern=r"^[19][0-9A-Za-z]{9}$", description="TRN03: '1'+EIN or '9'+own id"
    )

    @field_validator("service_types")
    @classmethod
    def _known_service_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [code for code in value if code not in SERVICE_TYPES]
        if unknown:
            raise ValueError(f"unknown service type codes: {', '.join(unknown[:5])}")
        if not value:
            raise ValueError("at least one service type is required")
        return tuple(dict.fromkeys(value))

    @model_validator(mode="after")
    def _dates_make_sense(self) -> EligibilityRequest:
        births = [self.subscriber.birth_date] + ([self.dependent.birth_date] if self.dependent else [])
        if any(born > self.date_of_service for born in births):
            raise ValueError("birth date after the date of service")
        return self


def _text_fields(request: EligibilityRequest) -> Iterator[tuple[str, str]]:
    yield "sender_id", request.sender_id
    yield "receiver_id", request.receiver_id
    yield "payer_name", request.payer_name
    yield "payer_id", request.payer_id
    yield "provider_name", request.provider_name
    if request.provider_first_name:
        yield "provider_first_name", request.provider_first_name
    yield "trace_number", request.trace_number
    sub = request.subscriber
    yield "subscriber.first_name", sub.first_name
    yield "subscriber.last_name", sub.last_name
    yield "subscriber.member_id", sub.member_id
    if sub.group_number:
        yield "subscriber.group_number", sub.group_number
    if request.dependent:
        yield "dependent.first_name", request.dependent.first_name
        yield "dependent.last_name", request.dependent.last_name


def check_request(request: EligibilityRequest, d: Delimiters = X12_DELIMITERS) -> None:
    """Raise ValueError when a value of `request` would break the interchange."""
    for where, value in _text_fields(request):
        check_text(value, where, d)


def build_270(request: EligibilityRequest, d: Delimiters = X12_DELIMITERS) -> str:
    """A complete 005010X279A1 270 interchange (one line, `~` after each segment by default).

    Loops: 2000A payer (NM1*PR, PI), 2000B provider (NM1*1P, XX = NPI), 2000C subscriber
    (NM1*IL, MI; REF*6P; DMG) and, when the patient is a dependent, 2000D (NM1*03, DMG, INS).
    The trace (TRN), date of service (DTP*291) and EQs go in the patient's loop.
    """
    check_request(request, d)

    def seg(tag: str, *elements: str) -> str:
        return segment(d, tag, *elements)

    sub, dep = request.subscriber, request.dependent
    trace = seg("TRN", "1", request.trace_number, request.trace_originator)
    eligibility_date = seg("DTP", "291", "D8", d8(request.date_of_service))
    inquiries = [seg("EQ", code) for code in request.service_types]
    first = request.provider_first_name
    provider = seg(
        "NM1",
        "1P",
        "1" if first else "2",
        request.provider_name,
        first or "",
        "",
        "",
        "",
        "XX",
        request.provider_npi,
    )
    body = [
        seg(
            "BHT", "0022", "13", request.trace_number, d8(request.created), request.created.strftime("%H%M%S")
        ),
        seg("HL", "1", "", "20", "1"),
        seg("NM1", "PR", "2", request.payer_name, "", "", "", "", "PI", request.payer_id),
        seg("HL", "2", "1", "21", "1"),
        provider,
        seg("HL", "3", "2", "22", "1" if dep else "0"),
    ]
    if dep is None:
        body.append(trace)
    body.append(seg("NM1", "IL", "1", sub.last_name, sub.first_name, "", "", "", "MI", sub.member_id))
    if sub.group_number:
        body.append(seg("REF", "6P", sub.group_number))
    body.append(seg("DMG", "D8", d8(sub.birth_date)))
    if dep is None:
        body += [eligibility_date, *inquiries]
    else:
        body += [
            seg("HL", "4", "3", "23", "0"),
            trace,
            seg("NM1", "03", "1", dep.last_name, dep.first_name),
            seg("DMG", "D8", d8(dep.birth_date)),
            seg("INS", "N", RELATIONSHIP_CODES[dep.relationship]),
            eligibility_date,
            *inquiries,
        ]
    return wrap_interchange(
        body,
        transaction="270",
        sender=(request.sender_qualifier, request.sender_id),
        receiver=(request.receiver_qualifier, request.receiver_id),
        control_number=request.control_number,
        created=request.created,
        usage=request.usage,
        d=d,
    )
