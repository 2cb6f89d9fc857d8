"""Who receives what: mailboxes of municipalities and coordinators of provinces, from the config."""

from __future__ import annotations

from dataclasses import dataclass

from workers.settings import MunicipalityConfig, Settings


@dataclass(frozen=True)
class Contacts:
    """Looks up addresses; ``None`` means not configured (the email then fails visibly)."""

    settings: Settings

    def municipality(self, cbs_code: str | None) -> MunicipalityConfig:
        return self.settings.municipalities.get(cbs_code or "", MunicipalityConfig())

    def mailbox(self, cbs_code: str | None) -> str | None:
        return self.municipality(cbs_code).mailbox

    def coordinator(self, province: str | None) -> str | None:
        return self.settings.provinces.get(province or "", {}).get("escalation")

    @property
    def message_domain(self) -> str:
        """Domain for Message-IDs: the sender's own domain."""
        sender = self.settings.sender
        address = sender[sender.find("<") + 1 : sender.rfind(">")] if "<" in sender else sender
        return address.rsplit("@", 1)[-1].strip() or "koers.invalid"
