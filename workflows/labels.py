"""The Dutch words for every value Koers shows to people: the console, the CLI, templates and emails.

Code and database keep the English values of the enums; people read these. Each mapping is keyed
by its enum, so a state added to an enum without a word here is caught by ``tests/unit/test_labels``.
``label(mapping, value)`` is how every caller looks one up (an unknown value shows as itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar, cast

from workflows.commands import CloseReason, EmailKind, Recipient
from workflows.definition import ESCALATION_TIMER, FOLLOW_UP_TIMER, PAUSE_END_TIMER, WINDOW_CLOSE_TIMER
from workflows.events import OperatorActionKind
from workflows.model import Answer, CaseState, ContactForm, IntakeResult, TargetGroup
from workflows.states import (
    AuditKind,
    DeadLetterState,
    EmailState,
    FieldCertainty,
    InboundSource,
    InboundState,
    MessageKind,
    ProposalState,
    RerouteRequestSource,
    RerouteRequestState,
    RoutingMethod,
    TimerState,
    TokenScope,
    TokenState,
)

K = TypeVar("K", bound=str)

CASE_STATES: Mapping[CaseState, str] = {
    CaseState.NEEDS_ROUTING: "Gemeente kiezen",
    CaseState.ACCEPTED: "Geaccepteerd",
    CaseState.NOTIFIED: "Gemeente geïnformeerd",
    CaseState.REMINDED: "Herinnerd",
    CaseState.ESCALATED: "Geëscaleerd",
    CaseState.OUTCOME_PARTIAL: "Uitkomst deels bekend",
    CaseState.CLOSED: "Afgesloten",
}
# The groups as headings, filters and report rows name them.
TARGET_GROUPS: Mapping[TargetGroup, str] = {
    TargetGroup.SELF_REPORTER: "Zelfmelders",
    TargetGroup.DETAINEE: "Kortgestrafte gedetineerden",
}
# One person of the group, as a sentence says it ("zelfmelder ZM-000042").
GROUP_PERSONS: Mapping[TargetGroup, str] = {
    TargetGroup.SELF_REPORTER: "zelfmelder",
    TargetGroup.DETAINEE: "gedetineerde",
}
# The date each group's window closes on (its definition's ``deadline_field``).
GROUP_DEADLINES: Mapping[TargetGroup, str] = {
    TargetGroup.SELF_REPORTER: "Meldingsdatum",
    TargetGroup.DETAINEE: "Vrijlatingsdatum",
}
INTAKE_RESULTS: Mapping[IntakeResult, str] = {
    IntakeResult.ACCEPTED: "geaccepteerd",
    IntakeResult.DUPLICATE: "dubbel",
    IntakeResult.INELIGIBLE: "buiten doelgroep",
    IntakeResult.REJECTED: "afgewezen",
    IntakeResult.NEEDS_ROUTING: "gemeente onduidelijk",
}
TIMERS: Mapping[str, str] = {
    "first_reminder": "Eerste herinnering",
    "second_reminder": "Tweede herinnering",
    ESCALATION_TIMER: "Escalatie naar de coördinator",
    FOLLOW_UP_TIMER: "Vervolgvraag over acties",
    WINDOW_CLOSE_TIMER: "Meldings- of vrijlatingsdatum: zaak sluit",
    PAUSE_END_TIMER: "Einde pauze",
}
TIMER_STATES: Mapping[TimerState, str] = {
    TimerState.PENDING: "gepland",
    TimerState.CLAIMED: "wordt uitgevoerd",
    TimerState.DONE: "uitgevoerd",
    TimerState.CANCELLED: "vervallen",
}
EMAIL_KINDS: Mapping[EmailKind, str] = {
    EmailKind.NOTIFICATION: "Melding met brief",
    EmailKind.REMINDER: "Herinnering",
    EmailKind.SECOND_REMINDER: "Tweede herinnering",
    EmailKind.ESCALATION: "Escalatie",
    EmailKind.FOLLOW_UP: "Vervolgvraag",
    EmailKind.CONFIRMATION: "Bevestiging",
    EmailKind.ASK_BACK: "Terugvraag",
    EmailKind.PROPOSAL: "Voorstel ter bevestiging",
    EmailKind.REROUTED: "Bericht over de overdracht",
    EmailKind.NOT_RESIDENT_RECEIVED: "Ontvangstbevestiging: andere gemeente",
}
RECIPIENTS: Mapping[Recipient, str] = {
    Recipient.MUNICIPALITY: "gemeente",
    Recipient.COORDINATOR: "coördinator",
    Recipient.SENDER: "afzender van het antwoord",
    Recipient.FORMER_MUNICIPALITY: "vorige gemeente",
}
EMAIL_STATES: Mapping[EmailState, str] = {
    EmailState.QUEUED: "In de wachtrij",
    EmailState.SENDING: "Wordt verzonden",
    EmailState.SENT: "Verzonden",
    EmailState.FAILED: "Mislukt",
    EmailState.NEEDS_REVIEW: "Controleren",
    EmailState.BOUNCED: "Onbestelbaar",
    EmailState.CANCELLED: "Ingetrokken",
}
INBOUND_STATES: Mapping[InboundState, str] = {
    InboundState.RECEIVED: "Ontvangen",
    InboundState.PROCESSED: "Verwerkt",
    InboundState.NEEDS_REVIEW: "Beoordelen",
    InboundState.PROPOSED: "Voorstel gestuurd",
    InboundState.QUARANTINED: "In quarantaine",
    InboundState.IGNORED: "Genegeerd (automatisch antwoord)",
    InboundState.BOUNCE: "Onbestelbaarheidsmelding",
    InboundState.REJECTED: "Geweigerd",
    InboundState.DISCARDED: "Weggegooid",
    InboundState.NOT_RESIDENT: "Woont niet in de gemeente",
}
# How an inbound state reads in a sentence about what happened to a reply (CLI, demo).
INBOUND_OUTCOMES: Mapping[InboundState, str] = {
    InboundState.RECEIVED: "nog niet gelezen",
    InboundState.PROCESSED: "uitkomst vastgelegd",
    InboundState.NEEDS_REVIEW: "te beoordelen (afzender is om verduidelijking gevraagd)",
    InboundState.PROPOSED: "voorstel gestuurd (wacht op bevestiging van de afzender)",
    InboundState.QUARANTINED: "in quarantaine (niet vertrouwd of geen zaak)",
    InboundState.IGNORED: "genegeerd (automatisch bericht of al gelezen)",
    InboundState.BOUNCE: "onbestelbaarheidsmelding",
    InboundState.REJECTED: "geweigerd (onleesbaar bericht)",
    InboundState.DISCARDED: "weggegooid",
    InboundState.NOT_RESIDENT: "woont niet in de gemeente (een operator kiest de juiste gemeente)",
}
MESSAGE_KINDS: Mapping[MessageKind, str] = {
    MessageKind.REPLY: "antwoord",
    MessageKind.AUTO_REPLY: "automatisch bericht",
    MessageKind.BOUNCE: "onbestelbaarheidsmelding",
    MessageKind.FORWARD: "doorgestuurd bericht",
    MessageKind.MALFORMED: "onleesbaar bericht",
}
INBOUND_SOURCES: Mapping[InboundSource, str] = {
    InboundSource.SMTP: "mailgateway",
    InboundSource.IMPORT: "import",
    InboundSource.IMAP: "postvak (IMAP)",
}
DEAD_LETTER_STATES: Mapping[DeadLetterState, str] = {
    DeadLetterState.DEAD: "Open",
    DeadLetterState.REPLAYED: "Opnieuw aangeboden",
    DeadLetterState.DISCARDED: "Weggegooid",
}
FIELD_CERTAINTIES: Mapping[FieldCertainty, str] = {
    FieldCertainty.CERTAIN: "zeker",
    FieldCertainty.DOUBTFUL: "twijfel",
    FieldCertainty.ABSENT: "niet ingevuld",
}
PROPOSAL_STATES: Mapping[ProposalState, str] = {
    ProposalState.OPEN: "wacht op bevestiging",
    ProposalState.CONFIRMED: "bevestigd en vastgelegd",
    ProposalState.RECORDED_AT_ONCE: "direct vastgelegd (zeker gelezen)",
    ProposalState.DECLINED: "niet bevestigd",
    ProposalState.SUPERSEDED: "vervangen",
}
ANSWERS: Mapping[Answer, str] = {Answer.YES: "ja", Answer.NO: "nee", Answer.UNKNOWN: "onbekend"}
CONTACT_FORMS: Mapping[ContactForm, str] = {
    ContactForm.LETTER: "reactie op de brief",
    ContactForm.PHONE: "telefonisch",
    ContactForm.VISIT: "huisbezoek",
    ContactForm.OTHER: "anders",
}
CLOSE_REASONS: Mapping[CloseReason, str] = {
    CloseReason.OUTCOME_COMPLETE: "uitkomst compleet",
    # The window closes on the group's date: the report date of a self-reporter, the release of a detainee.
    CloseReason.WINDOW_CLOSED_WITH_OUTCOME: "meldings- of vrijlatingsdatum bereikt, met uitkomst",
    CloseReason.WINDOW_CLOSED_PARTIAL: "meldings- of vrijlatingsdatum bereikt, uitkomst deels bekend",
    CloseReason.WINDOW_CLOSED_WITHOUT_OUTCOME: "meldings- of vrijlatingsdatum bereikt, zonder uitkomst",
    CloseReason.OPERATOR: "door een operator gesloten",
}
# Short names of routing methods, for the console's lists and the case page.
ROUTING_METHODS: Mapping[RoutingMethod, str] = {
    RoutingMethod.CODE: "CBS- of BRP-code",
    RoutingMethod.NAME: "gemeentenaam",
    RoutingMethod.ALIAS: "andere naam van de gemeente",
    RoutingMethod.LEGACY: "opgeheven gemeente, via de opvolger",
    RoutingMethod.LEGACY_SPLIT_WOONPLAATS: "gesplitste gemeente, via de woonplaats",
    RoutingMethod.LEGACY_SPLIT_POSTCODE: "gesplitste gemeente, via de postcode",
    RoutingMethod.WOONPLAATS: "woonplaats",
    RoutingMethod.WOONPLAATS_POSTCODE: "woonplaats en postcode",
    RoutingMethod.PC4: "postcode (PC4)",
    RoutingMethod.AMBIGUOUS: "meerdere gemeenten mogelijk",
    RoutingMethod.CONFLICT: "gegevens spreken elkaar tegen",
    RoutingMethod.UNKNOWN: "gemeente onbekend",
    RoutingMethod.OUT_OF_REGION: "buiten de regio",
    RoutingMethod.OPERATOR: "gekozen door een operator",
}
# The same methods as the notification says them: "Deze zaak is aan uw gemeente toegewezen <…>".
ROUTED_BY: Mapping[RoutingMethod, str] = {
    RoutingMethod.CODE: "op de gemeentecode in de aanlevering",
    RoutingMethod.NAME: "op de gemeentenaam in de aanlevering",
    RoutingMethod.ALIAS: "op een andere naam van de gemeente",
    RoutingMethod.LEGACY: "via een opgeheven gemeente en haar opvolger",
    RoutingMethod.LEGACY_SPLIT_WOONPLAATS: "via een gesplitste gemeente, beslist op woonplaats",
    RoutingMethod.LEGACY_SPLIT_POSTCODE: "via een gesplitste gemeente, beslist op postcode",
    RoutingMethod.WOONPLAATS: "op woonplaats",
    RoutingMethod.WOONPLAATS_POSTCODE: "op woonplaats en postcode",
    RoutingMethod.PC4: "op postcode (PC4)",
    RoutingMethod.OPERATOR: "door een operator gekozen",
}
EVENTS: Mapping[AuditKind, str] = {
    AuditKind.CASE_CREATED: "Zaak aangemaakt",
    AuditKind.WORKFLOW_STARTED: "Workflow gestart",
    AuditKind.TIMER_SCHEDULED: "Termijn gepland",
    AuditKind.TIMERS_CANCELLED: "Termijnen vervallen",
    AuditKind.EMAIL_QUEUED: "E-mail klaargezet",
    AuditKind.STAGE_CHANGED: "Fase gewijzigd",
    AuditKind.CASE_CLOSED: "Zaak afgesloten",
    AuditKind.MARKED_URGENT: "Spoed",
    AuditKind.OUTCOME_RECORDED: "Uitkomst vastgelegd",
    AuditKind.REVIEW_NEEDED: "Beoordeling nodig",
    AuditKind.REVIEW_CLEARED: "Beoordeling afgerond",
    AuditKind.MUNICIPALITY_ASSIGNED: "Gemeente gekozen",
    AuditKind.INBOUND_DISCARDED: "Bericht weggegooid",
    AuditKind.EMAIL_SENDING: "E-mail wordt verzonden",
    AuditKind.EMAIL_SENT: "E-mail verzonden",
    AuditKind.EMAIL_RETRY: "E-mail: nieuwe poging",
    AuditKind.EMAIL_FAILED: "E-mail mislukt",
    AuditKind.EMAIL_NEEDS_REVIEW: "E-mail controleren",
    AuditKind.EMAIL_BOUNCED: "E-mail onbestelbaar",
    AuditKind.REPLY_PROCESSED: "Antwoord verwerkt",
    AuditKind.REPLY_NEEDS_REVIEW: "Antwoord te beoordelen",
    AuditKind.REPLY_QUARANTINED: "Antwoord in quarantaine",
    AuditKind.REPLY_IGNORED: "Automatisch antwoord genegeerd",
    AuditKind.REPLY_REJECTED: "Antwoord geweigerd",
    AuditKind.REPLY_BOUNCE: "Onbestelbaarheidsmelding",
    AuditKind.REPLY_PROPOSED: "Antwoord gelezen als voorstel",
    AuditKind.PROPOSAL_MADE: "Voorstel gedaan",
    AuditKind.PROPOSAL_CONFIRMED: "Voorstel bevestigd",
    AuditKind.PROPOSAL_DECLINED: "Voorstel niet bevestigd",
    AuditKind.QUESTION_HELD: "Vraag niet verstuurd (al een vraag vandaag)",
    AuditKind.DEAD_LETTER_REPLAYED: "Dead letter opnieuw aangeboden",
    AuditKind.DEAD_LETTER_DISCARDED: "Dead letter weggegooid",
    AuditKind.PERSONAL_DATA_PURGED: "Persoonsgegevens verwijderd",
    AuditKind.USER_ADDED: "Gebruiker toegevoegd",
    AuditKind.USER_DEACTIVATED: "Gebruiker gedeactiveerd",
    AuditKind.USER_UPDATED: "Gebruiker bijgewerkt",
    AuditKind.PASSWORD_CHANGED: "Wachtwoord gewijzigd",
    AuditKind.API_TOKEN_ADDED: "API-token toegevoegd",
    AuditKind.API_TOKEN_REVOKED: "API-token ingetrokken",
    AuditKind.LOGIN: "Ingelogd",
    AuditKind.LOGIN_FAILED: "Inloggen mislukt",
    AuditKind.LOGOUT: "Uitgelogd",
    AuditKind.LOGOUT_EVERYWHERE: "Overal uitgelogd",
    AuditKind.REPORT_EXPORTED: "Rapport gedownload",
    AuditKind.OPERATOR_ACTION: "Actie van een operator",
    AuditKind.CASE_REROUTED: "Naar een andere gemeente",
    AuditKind.EMAIL_CANCELLED: "E-mail ingetrokken",
    AuditKind.REROUTE_REQUESTED: "Andere gemeente gevraagd",
    AuditKind.REROUTE_DECLINED: "Verzoek om andere gemeente afgewezen",
    AuditKind.REPLY_NOT_RESIDENT: "Antwoord: woont niet in de gemeente",
}
OPERATOR_ACTIONS: Mapping[OperatorActionKind, str] = {
    OperatorActionKind.CLOSE: "zaak sluiten",
    OperatorActionKind.RESEND_NOTIFICATION: "melding opnieuw versturen",
    OperatorActionKind.ESCALATE: "escaleren",
    OperatorActionKind.REROUTE: "naar een andere gemeente",
    OperatorActionKind.PAUSE: "pauzeren",
    OperatorActionKind.RESUME: "hervatten",
    OperatorActionKind.UPDATE_DATE: "datum wijzigen",
}
REROUTE_REQUEST_STATES: Mapping[RerouteRequestState, str] = {
    RerouteRequestState.OPEN: "open",
    RerouteRequestState.REROUTED: "omgeleid",
    RerouteRequestState.DECLINED: "afgewezen",
}
REROUTE_REQUEST_SOURCES: Mapping[RerouteRequestSource, str] = {
    RerouteRequestSource.CONSOLE: "verzoek in de console",
    RerouteRequestSource.REPLY: "antwoord per e-mail",
}
TOKEN_SCOPES: dict[TokenScope, str] = {
    TokenScope.INTAKE: "Intake (alle gemeenten)",
    TokenScope.MUNICIPALITY: "Intake van één gemeente",
}
TOKEN_STATES: dict[TokenState, str] = {
    TokenState.VALID: "Geldig",
    TokenState.EXPIRED: "Verlopen",
    TokenState.REVOKED: "Ingetrokken",
}
MONTHS = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def label(mapping: Mapping[K, str], value: object) -> str:
    """The Dutch word for ``value`` in ``mapping``, or the value itself (``_`` as spaces) if it has none."""
    if value is None:
        return "—"
    text = str(value)
    found = cast(Mapping[str, str], mapping).get(text)  # a StrEnum member hashes and compares as its value
    return found if found is not None else text.replace("_", " ")
