"""What messages say, in English and Spanish. No boto3.

SMS text is PHI-minimal (HIPAA minimum necessary): it names the sender neutrally, the local
date and time with the zone, and links to the authenticated app. It never names the
program, a diagnosis, a clinician or their specialty, the session type or the person.
Email may say a little more (the kind of session, the clinician's display name when known,
the makeup options) but never diagnoses or notes.

Rendering is done here with `string.Template` rather than with SES templates: SES
templates are account resources (infrastructure this function does not own), cannot be
sent with attachments (the .ics needs `SendRawEmail`), do not cover SMS, and would move the
date, zone and language logic into Handlebars. Here one pure renderer serves both channels
and every wording is tested without AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from string import Template
from typing import Any
from zoneinfo import ZoneInfo

from functions.notify.vocabulary import (
    COORDINATOR_KINDS,
    DEFAULT_APP_URL,
    SENDER_NAME,
    Channel,
    Language,
    MessageKind,
)

# --- dates and times in the reader's zone and language ---------------------------------------

_WEEKDAYS = {
    Language.EN: ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    Language.ES: ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
}
_WEEKDAYS_LONG = {
    Language.EN: ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    Language.ES: ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
_MONTHS = {
    Language.EN: ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    Language.ES: ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
}
_MONTHS_LONG = {
    Language.EN: (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
    Language.ES: (
        "enero", "febrero", "marzo", "abril", "mayo", "junio",
        "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
    ),
}  # fmt: skip

_RELATIVE_DAYS = {
    Language.EN: {-1: "yesterday", 0: "today", 1: "tomorrow"},
    Language.ES: {-1: "ayer", 0: "hoy", 1: "mañana"},
}

# US zones by the generic name people use ("PT", not "PST"/"PDT").
_GENERIC_ZONE = {
    "America/New_York": "ET",
    "America/Detroit": "ET",
    "America/Indiana/Indianapolis": "ET",
    "America/Kentucky/Louisville": "ET",
    "America/Chicago": "CT",
    "America/Indiana/Knox": "CT",
    "America/Menominee": "CT",
    "America/Denver": "MT",
    "America/Boise": "MT",
    "America/Phoenix": "MT",
    "America/Los_Angeles": "PT",
    "America/Anchorage": "AKT",
    "America/Juneau": "AKT",
    "Pacific/Honolulu": "HT",
    "America/Puerto_Rico": "AT",
}


def zone_label(moment: datetime, zone: str) -> str:
    generic = _GENERIC_ZONE.get(zone)
    if generic:
        return generic
    name = moment.astimezone(ZoneInfo(zone)).tzname() or "UTC"
    return f"UTC{name}" if name[:1] in "+-" else name


def _local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def short_date(day: date, language: Language) -> str:
    """`Tue Dec 1` / `mar 1 dic`."""
    weekday = _WEEKDAYS[language][day.weekday()]
    month = _MONTHS[language][day.month - 1]
    if language is Language.ES:
        return f"{weekday} {day.day} {month}"
    return f"{weekday} {month} {day.day}"


def long_date(day: date, language: Language) -> str:
    """`Tuesday, December 1, 2026` / `martes, 1 de diciembre de 2026`."""
    weekday = _WEEKDAYS_LONG[language][day.weekday()]
    month = _MONTHS_LONG[language][day.month - 1]
    if language is Language.ES:
        return f"{weekday}, {day.day} de {month} de {day.year}"
    return f"{weekday}, {month} {day.day}, {day.year}"


def clock(moment: datetime, zone: str, language: Language) -> str:
    """`6:00 PM PT` / `18:00 PT`."""
    local = _local(moment, zone)
    label = zone_label(moment, zone)
    if language is Language.ES:
        return f"{local.hour}:{local.minute:02d} {label}"
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'} {label}"


def when(moment: datetime, zone: str, language: Language, now: datetime) -> str:
    """`tomorrow, Tue Dec 1, at 6:00 PM PT`, `today, ...`, or `on Tue Dec 1 at 6:00 PM PT`."""
    day = _local(moment, zone).date()
    days_ahead = (day - _local(now, zone).date()).days
    text_day = short_date(day, language)
    at = clock(moment, zone, language)
    relative = _RELATIVE_DAYS[language].get(days_ahead)
    if language is Language.ES:
        return f"{relative}, {text_day}, a las {at}" if relative else f"el {text_day} a las {at}"
    return f"{relative}, {text_day}, at {at}" if relative else f"on {text_day} at {at}"


def when_short(moment: datetime, zone: str, language: Language, now: datetime) -> str:
    """`tomorrow at 6:00 PM PT`, `today at ...`, or `on Tue Dec 1 at 6:00 PM PT` (subjects)."""
    days_ahead = (_local(moment, zone).date() - _local(now, zone).date()).days
    relative = _RELATIVE_DAYS[language].get(days_ahead)
    if language is Language.ES:
        at = f"a las {clock(moment, zone, language)}"
        return f"{relative} {at}" if relative else f"el {on_day_at(moment, zone, language)}"
    at = f"at {clock(moment, zone, language)}"
    return f"{relative} {at}" if relative else f"on {on_day_at(moment, zone, language)}"


def on_day_at(moment: datetime, zone: str, language: Language) -> str:
    """`Tue Dec 1 at 6:00 PM PT` / `mar 1 dic a las 18:00 PT` (no relative words)."""
    day = short_date(_local(moment, zone).date(), language)
    joiner = "a las" if language is Language.ES else "at"
    return f"{day} {joiner} {clock(moment, zone, language)}"


def long_when(moment: datetime, zone: str, language: Language) -> str:
    day = long_date(_local(moment, zone).date(), language)
    joiner = "a las" if language is Language.ES else "at"
    return f"{day} {joiner} {clock(moment, zone, language)}"


# --- what is rendered ------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderContext:
    """The facts one message is rendered from (the stored message plus the reader's settings)."""

    kind: MessageKind
    channel: Channel
    language: Language
    zone: str
    now: datetime
    app_url: str = DEFAULT_APP_URL
    start: datetime | None = None
    end: datetime | None = None
    previous_start: datetime | None = None
    session_type: str | None = None
    clinician_name: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    text: str


# Email only: what the session is, in plain words (never on an SMS).
SESSION_LABELS: dict[str, dict[Language, str]] = {
    "individual": {Language.EN: "individual session", Language.ES: "sesión individual"},
    "couples": {Language.EN: "couples session", Language.ES: "sesión de pareja"},
    "substance_use_counseling": {Language.EN: "counseling session", Language.ES: "sesión de consejería"},
    "medication_management": {Language.EN: "medication visit", Language.ES: "consulta de medicación"},
    "medical_consultation": {Language.EN: "medical consultation", Language.ES: "consulta médica"},
    "check_in": {Language.EN: "check-in", Language.ES: "sesión de seguimiento"},
    "group": {Language.EN: "group session", Language.ES: "sesión de grupo"},
}
_APPOINTMENT = {Language.EN: "appointment", Language.ES: "cita"}

_MAKEUP_LABELS: dict[str, dict[Language, str]] = {
    "makeup_session": {Language.EN: "A makeup session", Language.ES: "Una sesión de reposición"},
    "check_in": {Language.EN: "A one-on-one check-in", Language.ES: "Una sesión individual de seguimiento"},
    "recording": {Language.EN: "The workshop recording", Language.ES: "La grabación del taller"},
    "group_occurrence": {Language.EN: "Another workshop", Language.ES: "Otro taller"},
}

_CONFIRM = {
    Language.EN: "Reply C to confirm. ",
    Language.ES: "Responda C para confirmar. ",
}
_MORE = {Language.EN: "and $n more", Language.ES: "y $n más"}
SMS_DIGEST_TIMES = 5
"""How many times a digest text lists (the rest: "and 2 more"); the email lists them all."""

_STOP = {
    Language.EN: "Reply STOP to opt out.",
    Language.ES: "Responda STOP para no recibir más mensajes.",
}

# --- SMS: the sender, the when, the link; nothing else ------------------------------------------

_SMS: dict[Language, dict[MessageKind, str]] = {
    Language.EN: {
        MessageKind.REMINDER: (
            "Reminder from $sender: you have an appointment $when. See the app: $link $confirm$stop"
        ),
        MessageKind.BOOKED: "$sender: you have a new appointment $when. See the app: $link $stop",
        MessageKind.RESCHEDULED: (
            "$sender: your appointment has moved to $when (was $previous). See the app: $link $stop"
        ),
        MessageKind.CANCELLED: "$sender: your appointment $when is cancelled. See the app: $link $stop",
        MessageKind.MISSED_SESSION: (
            "$sender: we missed you at your recent appointment. You can choose a makeup option in the app: "
            "$link $stop"
        ),
        MessageKind.WAITLIST_PROMOTION: (
            "$sender: a spot opened up and you now have an appointment $when. See the app: $link $stop"
        ),
        MessageKind.WEEKLY_DIGEST: (
            "$sender: your appointments in the week of $week_of: $times. See the app: $link $stop"
        ),
        MessageKind.AUTHORIZATION_LOW: (
            "$sender: an authorization is running low ($count to review). See the console: $link"
        ),
        MessageKind.AUTHORIZATION_EXPIRING: (
            "$sender: an authorization expires soon ($count to review). See the console: $link"
        ),
        MessageKind.ELIGIBILITY_PROBLEM: (
            "$sender: a coverage check needs attention ($count to review). See the console: $link"
        ),
        MessageKind.DLQ_ALERT: (
            "$sender: some messages could not be delivered ($count to review). See the console: $link"
        ),
    },
    Language.ES: {
        MessageKind.REMINDER: (
            "Recordatorio de $sender: tiene una cita $when. Vea la app: $link $confirm$stop"
        ),
        MessageKind.BOOKED: "$sender: tiene una nueva cita $when. Vea la app: $link $stop",
        MessageKind.RESCHEDULED: (
            "$sender: su cita se cambió a $when (antes: $previous). Vea la app: $link $stop"
        ),
        MessageKind.CANCELLED: "$sender: se canceló su cita $when. Vea la app: $link $stop",
        MessageKind.MISSED_SESSION: (
            "$sender: le extrañamos en su cita reciente. Puede elegir una opción de reposición en la app: "
            "$link $stop"
        ),
        MessageKind.WAITLIST_PROMOTION: (
            "$sender: se abrió un lugar y ahora tiene una cita $when. Vea la app: $link $stop"
        ),
        MessageKind.WEEKLY_DIGEST: (
            "$sender: sus citas en la semana del $week_of: $times. Vea la app: $link $stop"
        ),
        MessageKind.AUTHORIZATION_LOW: (
            "$sender: una autorización se está agotando ($count por revisar). Vea la consola: $link"
        ),
        MessageKind.AUTHORIZATION_EXPIRING: (
            "$sender: una autorización vence pronto ($count por revisar). Vea la consola: $link"
        ),
        MessageKind.ELIGIBILITY_PROBLEM: (
            "$sender: una verificación de cobertura requiere atención ($count por revisar). "
            "Vea la consola: $link"
        ),
        MessageKind.DLQ_ALERT: (
            "$sender: algunos mensajes no se pudieron entregar ($count por revisar). Vea la consola: $link"
        ),
    },
}

# --- email: subject and plain-text body ---------------------------------------------------------

_EMAIL: dict[Language, dict[MessageKind, tuple[str, str]]] = {
    Language.EN: {
        MessageKind.BOOKED: (
            "Your $what is booked: $on_day_at",
            "Hello,\n\nYour $what is booked for $long_when.$with\nLength: $minutes minutes.\n\n"
            "Join from the $sender app when it is time: $link\n"
            "A calendar invitation is attached. To change or cancel, open the app.",
        ),
        MessageKind.RESCHEDULED: (
            "Your $what has moved: $on_day_at",
            "Hello,\n\nYour $what has moved to $long_when (it was $previous).$with\n"
            "Length: $minutes minutes.\n\nJoin from the $sender app when it is time: $link\n"
            "The attached calendar invitation updates your calendar.",
        ),
        MessageKind.CANCELLED: (
            "Your $what is cancelled: $on_day_at",
            "Hello,\n\nYour $what on $long_when is cancelled.$with\n\n"
            "To book another time, open the $sender app: $link\n"
            "The attached calendar update removes it from your calendar.",
        ),
        MessageKind.REMINDER: (
            "Reminder: your $what $when_short",
            "Hello,\n\nThis is a reminder of your $what $when.$with\nLength: $minutes minutes.\n\n"
            "Join from the $sender app when it is time: $link",
        ),
        MessageKind.MISSED_SESSION: (
            "We missed you: choose a makeup option",
            "Hello,\n\nWe missed you at your recent $what. Here is what you can do instead:\n\n"
            "$options\n\nChoose one in the $sender app: $link",
        ),
        MessageKind.WAITLIST_PROMOTION: (
            "A spot opened up for you: $on_day_at",
            "Hello,\n\nA spot opened up, and you now have an appointment on $long_when.\n\n"
            "Details and joining are in the $sender app: $link",
        ),
        MessageKind.WEEKLY_DIGEST: (
            "Your week ahead: $count appointment(s)",
            "Hello,\n\nHere is your schedule for the week of $week_of:\n\n$items\n\n"
            "Details and joining are in the $sender app: $link",
        ),
        MessageKind.AUTHORIZATION_LOW: (
            "Authorization running low",
            "An authorization is running low.\n\n$facts\n\nReview it in the coordinator console: $link",
        ),
        MessageKind.AUTHORIZATION_EXPIRING: (
            "Authorization expiring soon",
            "An authorization expires soon.\n\n$facts\n\nReview it in the coordinator console: $link",
        ),
        MessageKind.ELIGIBILITY_PROBLEM: (
            "Eligibility check needs attention",
            "An eligibility check needs attention.\n\n$facts\n\nReview it in the coordinator console: $link",
        ),
        MessageKind.DLQ_ALERT: (
            "Messages could not be delivered",
            "Some messages could not be delivered and are waiting for review.\n\n$facts\n\n"
            "Review them in the coordinator console: $link",
        ),
    },
    Language.ES: {
        MessageKind.BOOKED: (
            "Su $what está reservada: $on_day_at",
            "Hola:\n\nSu $what está reservada para el $long_when.$with\nDuración: $minutes minutos.\n\n"
            "Únase desde la app de $sender cuando sea la hora: $link\n"
            "Adjuntamos una invitación de calendario. Para cambiarla o cancelarla, abra la app.",
        ),
        MessageKind.RESCHEDULED: (
            "Su $what cambió: $on_day_at",
            "Hola:\n\nSu $what se cambió al $long_when (antes: $previous).$with\n"
            "Duración: $minutes minutos.\n\nÚnase desde la app de $sender cuando sea la hora: $link\n"
            "La invitación adjunta actualiza su calendario.",
        ),
        MessageKind.CANCELLED: (
            "Se canceló su $what: $on_day_at",
            "Hola:\n\nSe canceló su $what del $long_when.$with\n\n"
            "Para reservar otra hora, abra la app de $sender: $link\n"
            "La actualización adjunta la quita de su calendario.",
        ),
        MessageKind.REMINDER: (
            "Recordatorio: su $what $when_short",
            "Hola:\n\nLe recordamos su $what $when.$with\nDuración: $minutes minutos.\n\n"
            "Únase desde la app de $sender cuando sea la hora: $link",
        ),
        MessageKind.MISSED_SESSION: (
            "Le extrañamos: elija una opción de reposición",
            "Hola:\n\nLe extrañamos en su $what reciente. Esto es lo que puede hacer:\n\n"
            "$options\n\nElija una en la app de $sender: $link",
        ),
        MessageKind.WAITLIST_PROMOTION: (
            "Se abrió un lugar para usted: $on_day_at",
            "Hola:\n\nSe abrió un lugar y ahora tiene una cita el $long_when.\n\n"
            "Los detalles están en la app de $sender: $link",
        ),
        MessageKind.WEEKLY_DIGEST: (
            "Su semana: $count cita(s)",
            "Hola:\n\nEste es su horario para la semana del $week_of:\n\n$items\n\n"
            "Los detalles están en la app de $sender: $link",
        ),
        MessageKind.AUTHORIZATION_LOW: (
            "Autorización por agotarse",
            "Una autorización se está agotando.\n\n$facts\n\nRevísela en la consola de coordinación: $link",
        ),
        MessageKind.AUTHORIZATION_EXPIRING: (
            "Autorización por vencer",
            "Una autorización vence pronto.\n\n$facts\n\nRevísela en la consola de coordinación: $link",
        ),
        MessageKind.ELIGIBILITY_PROBLEM: (
            "Verificación de cobertura con problemas",
            "Una verificación de elegibilidad requiere atención.\n\n$facts\n\n"
            "Revísela en la consola de coordinación: $link",
        ),
        MessageKind.DLQ_ALERT: (
            "Mensajes sin entregar",
            "Algunos mensajes no se pudieron entregar y esperan revisión.\n\n$facts\n\n"
            "Revíselos en la consola de coordinación: $link",
        ),
    },
}

_SIGNATURE = {Language.EN: "\n\n— $sender", Language.ES: "\n\n— $sender"}
_NOT_EXPECTED = {
    Language.EN: "\n\nIf you did not expect this message, contact your care team.",
    Language.ES: "\n\nSi no esperaba este mensaje, comuníquese con su equipo de atención.",
}

# Coordinator alerts list these facts (identifiers and figures only; never a name).
_FACT_LABELS: dict[str, dict[Language, str]] = {
    "participant_id": {Language.EN: "Participant reference", Language.ES: "Referencia del participante"},
    "authorization_id": {Language.EN: "Authorization", Language.ES: "Autorización"},
    "units_remaining": {Language.EN: "Units remaining", Language.ES: "Unidades restantes"},
    "expires_on": {Language.EN: "Expires on", Language.ES: "Vence el"},
    "reason": {Language.EN: "Reason", Language.ES: "Motivo"},
    "queue": {Language.EN: "Queue", Language.ES: "Cola"},
    "count": {Language.EN: "Count", Language.ES: "Cantidad"},
    "review": {Language.EN: "Where to look", Language.ES: "Dónde revisar"},
}


def _session_words(context: RenderContext) -> dict[str, str]:
    language, zone, now = context.language, context.zone, context.now
    words: dict[str, str] = {}
    if context.start is not None:
        words["when"] = when(context.start, zone, language, now)
        words["on_day_at"] = on_day_at(context.start, zone, language)
        words["long_when"] = long_when(context.start, zone, language)
        words["when_short"] = when_short(context.start, zone, language, now)
    if context.start is not None and context.end is not None:
        words["minutes"] = str(int((context.end - context.start).total_seconds() // 60))
    if context.previous_start is not None:
        words["previous"] = on_day_at(context.previous_start, zone, language)
    return words


def _email_words(context: RenderContext) -> dict[str, str]:
    language = context.language
    label = SESSION_LABELS.get(context.session_type or "", {}).get(language, _APPOINTMENT[language])
    with_line = ""
    if context.clinician_name:
        with_line = f"\n{'With' if language is Language.EN else 'Con'}: {context.clinician_name}"
    detail = context.detail
    options = [
        _option_line(option, context) for option in detail.get("options", []) if isinstance(option, Mapping)
    ]
    items = [_item_line(item, context) for item in detail.get("items", []) if isinstance(item, Mapping)]
    facts = [f"{labels[language]}: {detail[key]}" for key, labels in _FACT_LABELS.items() if key in detail]
    return {
        "what": label,
        "with": with_line,
        "options": "\n".join(options) or "-",
        "items": "\n".join(items) or "-",
        "facts": "\n".join(facts) or "-",
    }


def _option_line(option: Mapping[str, Any], context: RenderContext) -> str:
    language = context.language
    label = _MAKEUP_LABELS.get(str(option.get("kind")), {}).get(language, _APPOINTMENT[language])
    start = option.get("start")
    if start:
        moment = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        joiner = " el " if context.language is Language.ES else " on "
        return f"- {label}{joiner}{on_day_at(moment, context.zone, context.language)}"
    return f"- {label}"


def _item_line(item: Mapping[str, Any], context: RenderContext) -> str:
    moment = datetime.fromisoformat(str(item["start"]).replace("Z", "+00:00"))
    label = SESSION_LABELS.get(str(item.get("type", "")), {}).get(
        context.language, _APPOINTMENT[context.language]
    )
    return f"- {on_day_at(moment, context.zone, context.language)}: {label}"


def _common_words(context: RenderContext) -> dict[str, str]:
    detail = context.detail
    week_of = ""
    if detail.get("week_start"):
        week_of = short_date(date.fromisoformat(str(detail["week_start"])), context.language)
    return {
        "sender": SENDER_NAME,
        "link": context.app_url,
        "stop": _STOP[context.language],
        "confirm": _CONFIRM[context.language] if detail.get("confirmable", True) else "",
        "count": str(detail.get("count", 1)),
        "week_of": week_of,
        "times": _times(context),
    }


def _times(context: RenderContext) -> str:
    """The local day and time of each digest item, and nothing else (SMS)."""
    starts = [
        datetime.fromisoformat(str(item["start"]).replace("Z", "+00:00"))
        for item in context.detail.get("items", [])
        if isinstance(item, Mapping) and item.get("start")
    ]
    listed = [on_day_at(moment, context.zone, context.language) for moment in starts[:SMS_DIGEST_TIMES]]
    if len(starts) > SMS_DIGEST_TIMES:
        listed.append(Template(_MORE[context.language]).substitute(n=len(starts) - SMS_DIGEST_TIMES))
    return "; ".join(listed) or "-"


def render(context: RenderContext) -> Rendered:
    """The subject (email) and text of one message. Raises KeyError for a kind without a
    template and for a template missing a fact it needs (a programming error, never a
    half-rendered message)."""
    words = {**_common_words(context), **_session_words(context)}
    if context.channel is Channel.SMS:
        return Rendered(subject=None, text=Template(_SMS[context.language][context.kind]).substitute(words))
    words.update(_email_words(context))
    subject, body = _EMAIL[context.language][context.kind]
    footer = "" if context.kind in COORDINATOR_KINDS else _NOT_EXPECTED[context.language]
    text = Template(body + footer + _SIGNATURE[context.language]).substitute(words)
    return Rendered(subject=Template(subject).substitute(words), text=text)
