"""The Dutch phrases the prose reader looks for: per outcome field, what says yes, what says no.

Measured on ``tests/data/replies/labelled.toml`` (``bench/bench_replies.py``): staff write a few
dozen recurring phrases, in the past tense when something happened and with ``nog``, ``gaan`` or
``proberen`` when it did not yet. Every pattern runs on one lower-cased clause (a sentence cut at
``,``, ``;`` and ``maar``), is bounded, and matches whole words.

``STRONG`` phrases state a fact by themselves (``gesproken``, ``niet bereikt``); ``WEAK`` ones only
suggest it (``gebeld`` is an attempt until nothing says it failed) and never contradict a field
that was filled in.
"""

from __future__ import annotations

import re
from typing import Final

from workflows.model import Answer, ContactForm


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])")


_AGENCY = (r"(?:de |het |een |zijn |haar |hun )?(?:werkgever|woningcorporatie|woningbouw\w*|verhuurder|schuldhulp\w*"
           r"|wijkteam|uwv|bewindvoerder|kredietbank|ggz|reclassering|budgetbeheer|sociaal team|maatschappelijk werk"
           r"|huisarts|verslavingszorg|jobcoach|casemanager|wmo|consulent|inkomensconsulent)")  # fmt: skip

CONTACT_YES: Final = _words(
    r"gesproken", r"spreken gehad", r"contact gehad", r"contact gelegd", r"contact (?:met (?:hem|haar|meneer|mevrouw"
    r"|betrokkene|cliënt|client|de zelfmelder))", r"bereikt", r"te pakken gehad", r"aan de lijn gehad",
    r"gesprek (?:gehad|gevoerd)", r"op (?:huis)?bezoek geweest", r"langs geweest", r"langsgegaan",
    r"huisbezoek (?:gedaan|afgelegd|gehad)", r"heeft (?:zich )?gemeld", r"heeft (?:zelf )?(?:gereageerd|gebeld)",
    r"reageerde", r"belde (?:ons|mij|me|terug|zelf)", r"(?:heeft|hebben) (?:ons|mij|me) (?:gebeld|teruggebeld|gemaild)",
    r"teruggebeld", r"kennismaking(?:sgesprek)? (?:gehad|gevoerd)", r"op gesprek geweest", r"zijn in gesprek",
    r"elkaar gezien", r"afspraak gehad", r"thuis getroffen", r"thuis aangetroffen", r"was thuis",
    r"heeft (?:de brief|op de brief) (?:beantwoord|gereageerd)", r"gemaild met", r"gewhatsappt",
)
CONTACT_YES_WEAK: Final = _words(r"gebeld", r"opgebeld", r"telefonisch")
CONTACT_NO: Final = _words(
    r"niet bereikt", r"niet te bereiken", r"niet (?:kunnen |te )?spreken", r"niet bereikbaar", r"onbereikbaar",
    r"geen contact",
    r"geen gehoor", r"neemt (?:de telefoon )?niet op", r"nam (?:de telefoon )?niet op", r"niet opgenomen",
    r"geen reactie", r"niet gereageerd", r"reageert niet", r"niet thuis", r"niet aangetroffen",
    r"niemand thuis", r"deed niet open", r"nummer (?:klopt niet|bestaat niet|is niet in gebruik|buiten gebruik)",
    r"niet in gebruik", r"geen (?:bruikbaar |geldig )?telefoonnummer", r"niet gelukt (?:om )?contact",
    r"contact (?:is )?niet gelukt", r"geen gehoor gegeven", r"niets (?:meer )?gehoord", r"niks gehoord",
    r"wil geen contact", r"weigert (?:elk |ieder )?contact",
)
CONTACT_FORMS: Final = {
    ContactForm.PHONE: _words(r"gebeld", r"opgebeld", r"teruggebeld", r"belde", r"telefonisch", r"telefoon",
                              r"aan de lijn", r"aan de telefoon"),
    ContactForm.VISIT: _words(r"huisbezoek", r"op bezoek", r"langs geweest", r"langsgegaan", r"bij (?:hem|haar|hen)"
                              r" thuis", r"thuis bezocht", r"bezocht", r"aan de deur", r"thuis getroffen",
                              r"thuis aangetroffen", r"was thuis"),
    ContactForm.LETTER: _words(r"(?:naar aanleiding van|n\.?a\.?v\.?|op|na|door) (?:de|onze|uw|jullie) brief",
                               r"brief (?:beantwoord|ontvangen en)", r"reactie op de brief"),
    ContactForm.OTHER: _words(r"spreekuur", r"op kantoor", r"gemeentehuis", r"per (?:e-?)?mail", r"gemaild",
                              r"whatsapp\w*", r"gewhatsappt", r"sms", r"beeldbellen", r"videobellen", r"balie"),
}  # fmt: skip
ACTIONS_YES: Final = _words(
    r"afspraak (?:gemaakt|ingepland|staat|gepland)", r"(?:afspraak|gesprek) (?:bij|met) " + _AGENCY,
    r"aangemeld", r"doorverwezen", r"verwezen naar", r"aanvraag (?:\w+ )?(?:gedaan|ingediend|loopt)", r"aangevraagd",
    r"ingeschakeld", r"geregeld", r"in gang gezet", r"opgestart", r"uitgezet", r"ingezet", r"opgepakt",
    r"melding gedaan", r"overgedragen", r"gekoppeld aan", r"toegeleid", r"in contact gebracht",
    r"contact (?:opgenomen|gelegd) met " + _AGENCY, r"plan (?:gemaakt|opgesteld)", r"regelen we",
    r"geholpen met", r"hulp (?:ingezet|geregeld|aangevraagd)", r"begeleiding (?:ingezet|geregeld|aangevraagd)",
    r"maatregelen (?:genomen|getroffen)", r"afspraken gemaakt",
)
ACTIONS_NO: Final = _words(
    # the verb of setting actions belongs to the "no" phrase: "geen acties uitgezet" must not leave "uitgezet" behind
    r"geen (?:verdere |nieuwe |andere )?acties?(?: (?:uitgezet|ingezet|ondernomen|nodig))?",
    r"niets (?:uit|in)gezet", r"hoeft (?:er )?(?:van (?:onze|mijn) kant )?niets(?: te gebeuren)?",
    r"niet nodig om (?:iets|wat) (?:in|uit) te zetten", r"geen (?:hulp|ondersteuning|actie)(?: meer)? nodig",
    r"geen hulpvraag", r"wil geen (?:hulp|ondersteuning|begeleiding)", r"hulp (?:geweigerd|afgewezen)",
    r"heeft (?:alles )?zelf (?:al )?geregeld", r"regelt (?:alles )?zelf", r"niets nodig", r"niks nodig",
    r"geen behoefte", r"ziet (?:de )?noodzaak niet",
    r"(?:houdt|hield) (?:de )?hulp af", r"niets (?:te )?regelen",
)
KNOWN_YES: Final = _words(
    r"(?:al|is|was|ook) bekend bij", r"bekend bij (?:de |het )?(?:hulpverlening|wijkteam|ggz|reclassering"
    r"|verslavingszorg|schuldhulp\w*|sociaal team|jeugdzorg|zorg|gemeente)",
    r"(?:had|heeft|hadden|hebben) al (?:een |de )?(?:schuldhulpverlener|bewindvoerder|begeleider|begeleiding"
    r"|hulpverlener|casemanager|hulp|contact met|ondersteuning|jobcoach|consulent)", r"staat (?:al )?onder bewind",
    r"(?:krijgt|kreeg|ontvangt) al (?:\w+ )?(?:hulp|\w*zorg|begeleiding|ondersteuning)",
    r"loopt al bij", r"(?:is|was) al in beeld", r"zit al (?:bij|in)", r"wordt al begeleid", r"al begeleiding",
    r"al hulpverlening", r"al ondersteund", r"lopend traject", r"loopt al een traject",
)
KNOWN_NO: Final = _words(
    r"niet bekend bij", r"nog niet bekend", r"nergens bekend", r"onbekend bij (?:de )?hulpverlening",
    r"geen (?:eerdere |lopende )?(?:hulpverlening|begeleiding)", r"nooit hulp gehad",
    r"(?:was|is) (?:nog )?niet in beeld",
    r"geen lopend traject",
)
HEDGES: Final = _words(
    r"nog (?:geen|niet)", r"proberen", r"probeer", r"probeert", r"probeerden", r"gaan", r"ga", r"gaat", r"zal",
    r"zullen", r"wil(?:len)? (?:we|ik)", r"volgende week", r"morgen", r"binnenkort", r"straks", r"plannen",
    r"van plan", r"hopelijk", r"hoop", r"misschien", r"wellicht", r"mogelijk", r"waarschijnlijk", r"denk",
    r"lijkt", r"als (?:het|dat) lukt", r"indien", r"zodra", r"nog even",
)
# Contact with someone else than the person ("contact gehad met haar bewindvoerder") is no contact with the person.
SOMEONE_ELSE: Final = _words(
    r"(?:met|via) (?:zijn|haar|z'n|d'r|de|het|hun) (?:\w+ )?(?:zus|broer|moeder|vader|ouders|partner|vrouw|man|vriend"
    r"|vriendin|buurman|buurvrouw|buren|bewindvoerder|advocaat|begeleider|familie|dochter|zoon|mentor|oom|tante"
    r"|hulpverlener|casemanager)"
)
NEGATIONS: Final = _words(r"niet", r"geen", r"nooit", r"niets", r"niks", r"niemand", r"nergens")
LATER: Final = _words(r"later", r"daarna", r"uiteindelijk", r"inmiddels", r"toch", r"alsnog", r"wel", r"wél",
                      r"foutje", r"correctie", r"verbetering", r"excuus", r"sorry")  # fmt: skip
DOMAINS: Final = {
    "schulden": _words(r"schuld\w*", r"kredietbank", r"bewind\w*", r"budgetbeheer", r"budgetcoach\w*",
                       r"betalingsachterstand\w*", r"incasso"),
    "huisvesting": _words(r"woning\w*", r"huur\w*", r"verhuurder", r"huisvesting", r"woonruimte", r"dakloos\w*",
                          r"opvang", r"woonconsulent"),
    "werk": _words(r"werkgever", r"werk", r"baan", r"dagbesteding", r"school", r"opleiding", r"jobcoach",
                   r"re-integratie"),
    "inkomen": _words(r"uitkering\w*", r"bijstand", r"inkomen", r"uwv", r"toeslag\w*", r"inkomensconsulent"),
    "zorg": _words(r"ggz", r"verslaving\w*", r"huisarts", r"psych\w*", r"medicatie", r"zorgverzekering"),
    "relaties": _words(r"partner", r"kinderen", r"gezin", r"familie", r"relatie\w*", r"ouders", r"omgangsregeling"),
    "identiteitsbewijs": _words(r"id-kaart", r"idkaart", r"paspoort", r"identiteitsbewijs", r"legitimatie"),
    "justitie": _words(r"reclassering", r"advocaat"),
}  # fmt: skip
CONFIRM_YES: Final = re.compile(
    r"^(?:ja|jazeker|jawel|ja hoor|jep|yes|klopt|dat klopt|klopt helemaal|correct|akkoord|prima|ok|oké|oke|"
    r"helemaal goed|dat is juist|juist|bevestigd|👍)(?:[\s,.!]+(?:dat |het )?(?:klopt|is juist|correct|hoor|"
    r"helemaal|bedankt|dank je|dank u|dankjewel|thanks|groet\w*|👍|[.!]))*[\s.!👍]*$",
    re.IGNORECASE,
)
CONFIRM_NO: Final = re.compile(r"^(?:nee|neen|no|klopt niet|dat klopt niet|niet correct|onjuist|fout)\b", re.IGNORECASE)

FIELD_PATTERNS: Final = (
    ("contact", Answer.YES, CONTACT_YES),
    ("contact", Answer.NO, CONTACT_NO),
    ("actions", Answer.YES, ACTIONS_YES),
    ("actions", Answer.NO, ACTIONS_NO),
    ("known_to_care", Answer.YES, KNOWN_YES),
    ("known_to_care", Answer.NO, KNOWN_NO),
)
