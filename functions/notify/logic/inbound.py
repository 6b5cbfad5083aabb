"""Two-way SMS: what a texted reply means and what is answered. No boto3.

A reply is matched as a whole (case, surrounding whitespace, inner runs of whitespace and
trailing punctuation aside): "  sToP  " is STOP, "please stop texting" is not a keyword and
gets the short "not understood" answer, which itself says how to opt out. Answers are
PHI-minimal like every text: the neutral sender, a time, the app link; never the program,
a session type or a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from string import Template

from pydantic import BaseModel, ConfigDict, Field

from functions.notify.logic.templates import on_day_at
from functions.notify.vocabulary import DEFAULT_APP_URL, SENDER_NAME, Language


class Intent(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"
    CONFIRM = "confirm"
    OTHER = "other"


# The revocation words the FCC's 2024 TCPA order names (and CTIA's STOPALL), a few Spanish
# ones since texts go out in Spanish too; START/UNSTOP and HELP as carriers expect them.
KEYWORDS: dict[Intent, frozenset[str]] = {
    Intent.STOP: frozenset(
        {
            "stop",
            "stopall",
            "quit",
            "end",
            "revoke",
            "opt out",
            "opt-out",
            "optout",
            "cancel",
            "unsubscribe",
            "parar",
            "alto",
            "cancelar",
            "baja",
        }
    ),
    Intent.START: frozenset({"start", "unstop"}),
    Intent.HELP: frozenset({"help", "info", "ayuda"}),
    Intent.CONFIRM: frozenset({"c", "confirm", "confirmar"}),
}

ANSWERED_WITHOUT_CONSENT = frozenset({Intent.STOP, Intent.START, Intent.HELP})
"""Someone who opted out is answered only when they ask to stop, to start again, or for help."""

# A help line is configuration: it must stay as neutral as every other text.
NOT_NEUTRAL = (
    "therap",
    "counsel",
    "mental",
    "psychiatr",
    "behavioral",
    "addiction",
    "substance",
    "alcohol",
    "sober",
    "recovery",
    "rehab",
    "treatment",
    "outpatient",
    "diagnos",
    "depress",
    "anxiety",
    "couples",
)

DEFAULT_HELP_LINE = f"{SENDER_NAME}: for help, open the app at {DEFAULT_APP_URL} or call your care team."


def intent_of(body: str) -> Intent:
    words = " ".join(body.split()).casefold().rstrip(".!?¡¿ ").lstrip("¡¿ ")
    for intent, keywords in KEYWORDS.items():
        if words in keywords:
            return intent
    return Intent.OTHER


def check_neutral(text: str) -> str:
    """`text` if it names nothing about the care; ValueError naming the word otherwise."""
    folded = text.casefold()
    for word in NOT_NEUTRAL:
        if word in folded:
            raise ValueError(f"a text must stay neutral: it may not say '{word}'")
    return text


class InboundSms(BaseModel):
    """The SNS message AWS End User Messaging (Pinpoint) two-way SMS publishes per inbound text."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    origination_number: str = Field(alias="originationNumber", min_length=2, max_length=32)
    destination_number: str = Field(alias="destinationNumber", min_length=2, max_length=32)
    body: str = Field(alias="messageBody", max_length=2000)
    inbound_message_id: str = Field(alias="inboundMessageId", min_length=1, max_length=200)


class Answer(StrEnum):
    STOPPED = "stopped"
    STARTED = "started"
    HELP = "help"
    CONFIRMED = "confirmed"
    NOTHING_TO_CONFIRM = "nothing_to_confirm"
    NOT_UNDERSTOOD = "not_understood"


_ANSWERS: dict[Language, dict[Answer, str]] = {
    Language.EN: {
        Answer.STOPPED: (
            "$sender: you are unsubscribed and will get no more texts from us. Reply START to resubscribe."
        ),
        Answer.STARTED: (
            "$sender: texts are on again. Msg & data rates may apply. Reply HELP for help, STOP to opt out."
        ),
        Answer.HELP: "$help Reply STOP to opt out.",
        Answer.CONFIRMED: "$sender: thank you, your appointment on $when is confirmed. See the app: $link",
        Answer.NOTHING_TO_CONFIRM: "$sender: we found no upcoming appointment to confirm. See the app: $link",
        Answer.NOT_UNDERSTOOD: (
            "$sender: sorry, we did not understand. Reply HELP for help or STOP to opt out."
        ),
    },
    Language.ES: {
        Answer.STOPPED: (
            "$sender: se canceló su suscripción y no recibirá más mensajes de texto. "
            "Responda START para volver a suscribirse."
        ),
        Answer.STARTED: (
            "$sender: los mensajes de texto están activos de nuevo. Pueden aplicarse tarifas de mensajes y "
            "datos. Responda HELP para ayuda o STOP para no recibir más mensajes."
        ),
        Answer.HELP: "$help Responda STOP para no recibir más mensajes.",
        Answer.CONFIRMED: "$sender: gracias, su cita del $when está confirmada. Vea la app: $link",
        Answer.NOTHING_TO_CONFIRM: (
            "$sender: no encontramos una cita próxima para confirmar. Vea la app: $link"
        ),
        Answer.NOT_UNDERSTOOD: (
            "$sender: no entendimos su mensaje. Responda HELP para ayuda o STOP para no recibir más mensajes."
        ),
    },
}


@dataclass(frozen=True)
class Confirmed:
    start: datetime
    zone: str


def answer_text(
    answer: Answer,
    language: Language,
    *,
    help_line: str = DEFAULT_HELP_LINE,
    app_url: str = DEFAULT_APP_URL,
    confirmed: Confirmed | None = None,
) -> str:
    words = {"sender": SENDER_NAME, "help": help_line, "link": app_url, "when": ""}
    if confirmed is not None:
        words["when"] = on_day_at(confirmed.start, confirmed.zone, language)
    return Template(_ANSWERS[language][answer]).substitute(words)


def answer_for(intent: Intent, *, consented: bool, confirmed: Confirmed | None) -> Answer | None:
    """What to answer a known sender (None: nothing). `consented`: whether texts to the number
    were consented to before this message."""
    if intent not in ANSWERED_WITHOUT_CONSENT and not consented:
        return None
    match intent:
        case Intent.STOP:
            return Answer.STOPPED
        case Intent.START:
            return Answer.STARTED
        case Intent.HELP:
            return Answer.HELP
        case Intent.CONFIRM:
            return Answer.CONFIRMED if confirmed is not None else Answer.NOTHING_TO_CONFIRM
        case _:
            return Answer.NOT_UNDERSTOOD
