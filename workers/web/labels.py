"""Dutch labels for the values the console shows; code and database keep the English values."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/Amsterdam")

CASE_STATES = {
    "needs_routing": "Gemeente kiezen",
    "accepted": "Geaccepteerd",
    "notified": "Gemeente geïnformeerd",
    "reminded": "Herinnerd",
    "escalated": "Geëscaleerd",
    "outcome_partial": "Uitkomst deels bekend",
    "needs_review": "Beoordelen",
    "closed": "Afgesloten",
}
TIMERS = {
    "first_reminder": "Eerste herinnering",
    "second_reminder": "Tweede herinnering",
    "escalation": "Escalatie naar de coördinator",
    "follow_up": "Vervolgvraag over acties",
    "window_close": "Meldingsdatum: zaak sluit",
}
EMAIL_KINDS = {
    "notification": "Melding met brief",
    "reminder": "Herinnering",
    "second_reminder": "Tweede herinnering",
    "escalation": "Escalatie",
    "follow_up": "Vervolgvraag",
    "confirmation": "Bevestiging",
    "ask_back": "Terugvraag",
}
EMAIL_STATES = {
    "queued": "In de wachtrij",
    "sending": "Wordt verzonden",
    "sent": "Verzonden",
    "failed": "Mislukt",
    "needs_review": "Controleren",
    "bounced": "Onbestelbaar",
}
INBOUND_STATES = {
    "received": "Ontvangen",
    "processed": "Verwerkt",
    "needs_review": "Beoordelen",
    "quarantined": "In quarantaine",
    "ignored": "Genegeerd (automatisch antwoord)",
    "bounce": "Onbestelbaarheidsmelding",
    "rejected": "Geweigerd",
    "discarded": "Weggegooid",
}
ANSWERS = {"yes": "ja", "no": "nee", "unknown": "onbekend"}
CONTACT_FORMS = {"letter": "reactie op de brief", "phone": "telefonisch", "visit": "huisbezoek", "other": "anders"}
CLOSE_REASONS = {
    "outcome_complete": "uitkomst compleet",
    "window_closed_with_outcome": "meldingsdatum bereikt, met uitkomst",
    "window_closed_partial": "meldingsdatum bereikt, uitkomst deels bekend",
    "window_closed_without_outcome": "meldingsdatum bereikt, zonder uitkomst",
    "operator": "door een operator gesloten",
}
ROUTING_METHODS = {
    "code": "CBS- of BRP-code",
    "cbs_code": "CBS-code",
    "name": "gemeentenaam",
    "alias": "andere naam van de gemeente",
    "legacy": "opgeheven gemeente, via de opvolger",
    "legacy_split_woonplaats": "gesplitste gemeente, via de woonplaats",
    "legacy_split_postcode": "gesplitste gemeente, via de postcode",
    "woonplaats": "woonplaats",
    "woonplaats_postcode": "woonplaats en postcode",
    "pc4": "postcode (PC4)",
    "ambiguous": "meerdere gemeenten mogelijk",
    "conflict": "gegevens spreken elkaar tegen",
    "unknown": "gemeente onbekend",
    "out_of_region": "buiten de regio",
    "operator": "gekozen door een operator",
}
DEAD_LETTER_STATES = {"dead": "Open", "replayed": "Opnieuw aangeboden", "discarded": "Weggegooid"}
EVENTS = {
    "case_created": "Zaak aangemaakt",
    "workflow_started": "Workflow gestart",
    "timer_scheduled": "Termijn gepland",
    "timers_cancelled": "Termijnen vervallen",
    "email_queued": "E-mail klaargezet",
    "stage_changed": "Fase gewijzigd",
    "case_closed": "Zaak afgesloten",
    "marked_urgent": "Spoed",
    "outcome_recorded": "Uitkomst vastgelegd",
    "review_needed": "Beoordeling nodig",
    "review_cleared": "Beoordeling afgerond",
    "municipality_assigned": "Gemeente gekozen",
    "inbound_discarded": "Bericht weggegooid",
    "email_sending": "E-mail wordt verzonden",
    "email_sent": "E-mail verzonden",
    "email_retry": "E-mail: nieuwe poging",
    "email_failed": "E-mail mislukt",
    "email_needs_review": "E-mail controleren",
    "reply_processed": "Antwoord verwerkt",
    "reply_needs_review": "Antwoord te beoordelen",
    "reply_quarantined": "Antwoord in quarantaine",
    "reply_ignored": "Automatisch antwoord genegeerd",
    "reply_rejected": "Antwoord geweigerd",
    "reply_bounce": "Onbestelbaarheidsmelding",
}
MONTHS = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def label(mapping: dict[str, str], value: object) -> str:
    """The Dutch label of ``value``, or the value itself when there is none."""
    if value is None:
        return "—"
    return mapping.get(str(value), str(value).replace("_", " "))


def local_time(value: datetime | str | None) -> str:
    """``dd-mm-jjjj uu:mm`` in Dutch local time."""
    if value is None or value == "":
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(LOCAL).strftime("%d-%m-%Y %H:%M")


def dutch_date(value: date | str | None) -> str:
    if value is None or value == "":
        return "—"
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return day.strftime("%d-%m-%Y")


def days_left(days: int) -> str:
    """How the deadline board says the days until the report date."""
    if days < 0:
        return f"{-days} {'dag' if days == -1 else 'dagen'} te laat"
    if days == 0:
        return "vandaag"
    return f"nog {days} {'dag' if days == 1 else 'dagen'}"


def percent(ratio: dict[str, object] | None) -> str:
    """A report ratio (``{"count", "of", "percent"}``, percent 0-100) as ``41% (12 van 29)``."""
    if not ratio or ratio.get("percent") is None:
        return "—"
    return f"{round(float(str(ratio['percent'])))}% ({ratio['count']} van {ratio['of']})"


def duration(seconds: float | None) -> str:
    """Seconds as a short Dutch duration: ``45 s``, ``12 min``, ``3 uur``, ``2 dagen``."""
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{round(seconds)} s"
    if seconds < 7200:
        return f"{round(seconds / 60)} min"
    if seconds < 172800:
        return f"{round(seconds / 3600)} uur"
    return f"{round(seconds / 86400)} dagen"
