"""Domain objects shared by intake, routing and the workflow engine.

Glossary (Dutch terms used by the region, English identifiers in code):

- *gemeente*: municipality (``Municipality``), identified by its CBS code ``GM0014``.
- *zelfmelder*: self-reporter, a person summoned to report to prison (``SelfReport``).
- *kortgestrafte gedetineerde*: a short-sentenced detainee, already in custody (``DetaineeReport``);
  the widening of the target group in the region's 2019 plan (``TargetGroup``).
- *meldingsdatum*: report date, the day the person must report to the institution.
- *vrijlating*: release; *vrijlatingsdatum* the release date, *datum insluiting* the date custody began.
- *PI*: penitentiary institution (``institution``), e.g. PI Veenhuizen.
- *woonplaats*: place of residence as registered in the BAG; not unique across municipalities.
- *detentieschade*: damage done by detention (job, house, relations, debts).
- *acties uitgezet*: actions set out; *leefgebieden*: life domains;
  *bekend bij hulpverlening*: already known to care services.
- *Zorg- en Veiligheidshuis*: the regional office that receives escalations.

Invariant: these objects hold no I/O handles and are immutable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import ClassVar


class IntakeResult(StrEnum):
    """The single end state of one intake record."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    INELIGIBLE = "ineligible"
    REJECTED = "rejected"
    NEEDS_ROUTING = "needs_routing"


class TargetGroup(StrEnum):
    """Who a case is about: each group has its own intake fields and its own workflow definition."""

    SELF_REPORTER = "self_reporter"  # summoned to report on ``report_date``; the default
    DETAINEE = "detainee"  # in custody since ``custody_since``, released on ``release_date``


class CaseState(StrEnum):
    """Lifecycle of a case; the workflow engine moves it after ``ACCEPTED``.

    That a person must look at a case (an unreadable reply, an email in review) is not a stage:
    it is the case's ``review_reason``, set beside whatever stage the case is in.
    """

    NEEDS_ROUTING = "needs_routing"
    ACCEPTED = "accepted"
    NOTIFIED = "notified"
    REMINDED = "reminded"
    ESCALATED = "escalated"
    OUTCOME_PARTIAL = "outcome_partial"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Municipality:
    """A current municipality: of Groningen, Fryslân or Drenthe, or elsewhere (``Registry.outside``)."""

    cbs_code: str
    name: str
    province: str


@dataclass(frozen=True, slots=True)
class LegacyMunicipality:
    """A dissolved municipality and its immediate successors (several for a split)."""

    cbs_code: str
    name: str
    dissolved_on: date
    successors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field of an intake record; ``message`` is Dutch, shown to staff."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True, slots=True)
class SelfReport:
    """A validated intake record of a self-reporter: everything Koers knows about one summons."""

    group: ClassVar[TargetGroup] = TargetGroup.SELF_REPORTER

    dji_id: str
    surname: str
    given_names: str
    birth_date: date
    sentence_days: int
    report_date: date
    institution: str
    street: str | None = None
    house_number: str | None = None
    postcode: str | None = None  # normalised to "9711 AB"
    woonplaats: str | None = None
    gemeente: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class DetaineeReport:
    """A validated intake record of a short-sentenced detainee: in custody, to be released on ``release_date``."""

    group: ClassVar[TargetGroup] = TargetGroup.DETAINEE

    dji_id: str
    surname: str
    given_names: str
    birth_date: date
    sentence_days: int
    release_date: date
    custody_since: date
    institution: str
    street: str | None = None  # the address of residence on record (the person is inside, not there)
    house_number: str | None = None
    postcode: str | None = None
    woonplaats: str | None = None
    gemeente: str | None = None
    phone: str | None = None
    email: str | None = None


# A validated intake record of either group.
PersonReport = SelfReport | DetaineeReport


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """How a record was (or was not) tied to one current municipality.

    ``cbs_code`` is set only when the evidence decides; otherwise ``candidates`` lists the
    municipalities an operator can choose from (possibly none). ``out_of_region`` is true when
    the evidence places the person outside the three provinces.
    """

    cbs_code: str | None
    method: str
    evidence: dict[str, str] = field(default_factory=dict)
    candidates: tuple[str, ...] = ()
    out_of_region: bool = False

    @property
    def is_decided(self) -> bool:
        return self.cbs_code is not None


class Answer(StrEnum):
    """A yes/no answer that may not be known (yet)."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class ContactForm(StrEnum):
    """How contact with the self-reporter came about."""

    LETTER = "letter"  # response to the letter
    PHONE = "phone"
    VISIT = "visit"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the municipality recorded about a case.

    Complete when there was no contact, or there was contact and it is known whether actions
    were set out. Contact without a known answer on actions is *partial*: the workflow keeps one
    follow-up reminder for the missing part.
    """

    contact: Answer = Answer.UNKNOWN
    contact_form: ContactForm | None = None
    actions: Answer = Answer.UNKNOWN
    life_domains: tuple[str, ...] = ()
    known_to_care: Answer = Answer.UNKNOWN
    note: str | None = None

    @property
    def is_complete(self) -> bool:
        return self.contact is Answer.NO or (self.contact is Answer.YES and self.actions is not Answer.UNKNOWN)

    @property
    def is_partial(self) -> bool:
        return self.contact is Answer.YES and self.actions is Answer.UNKNOWN

    def updated_with(self, newer: Outcome) -> Outcome:
        """A later reply overrides what it states; what it leaves unknown stays as it was."""
        return Outcome(
            contact=newer.contact if newer.contact is not Answer.UNKNOWN else self.contact,
            contact_form=newer.contact_form or self.contact_form,
            actions=newer.actions if newer.actions is not Answer.UNKNOWN else self.actions,
            life_domains=newer.life_domains or self.life_domains,
            known_to_care=newer.known_to_care if newer.known_to_care is not Answer.UNKNOWN else self.known_to_care,
            note=newer.note or self.note,
        )


def case_reference(case_id: int) -> str:
    """The reference that appears in every subject line, e.g. ``ZM-000042``; carries no personal data."""
    return f"ZM-{case_id:06d}"
