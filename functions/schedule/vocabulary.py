"""Scheduling's domain vocabulary: the one place these words are spelt."""

from __future__ import annotations

from enum import StrEnum


class PersonKind(StrEnum):
    PARTICIPANT = "participant"
    CLINICIAN = "clinician"
    COORDINATOR = "coordinator"


class AgeGroup(StrEnum):
    """ASAM level 2.1 intensity differs: adults 9-19 h/week, adolescents 6-19 h/week."""

    ADULT = "adult"
    ADOLESCENT = "adolescent"


# Entity type names, stored as `entity` on every item (stream consumers filter on them).
ENTITY_PERSON = "PERSON"
ENTITY_EMAIL = "EMAIL"
ENTITY_SESSION = "SESSION"
