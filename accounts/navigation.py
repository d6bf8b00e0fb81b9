"""The IKP menu: Start, Historia leczenia, Profilaktyka, Uprawnienia, Pomoc."""

from dataclasses import dataclass

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str
    url: str
    prefix: str  # paths under this prefix mark the item as current


MENU = (
    MenuItem("start", _("Start"), reverse_lazy("start"), "/"),
    MenuItem("history", _("Treatment history"), reverse_lazy("records:documents"), "/historia-leczenia/"),
    MenuItem("prevention", _("Prevention"), reverse_lazy("vaccinations:overview"), "/profilaktyka/"),
    MenuItem("permissions", _("Permissions"), reverse_lazy("guardianship:permissions"), "/uprawnienia/"),
    MenuItem("help", _("Help"), reverse_lazy("help"), "/pomoc/"),
)


def active_section(path: str) -> str:
    for item in MENU[1:]:
        if path.startswith(item.prefix):
            return item.key
    return "start" if path == "/" else ""
