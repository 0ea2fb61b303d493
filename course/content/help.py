"""Where to get help: the help page's content (help.yaml), the employer's own contacts
(organisation.yaml), and the rule that checks every address and number on it.

Help content is data a trainer can edit, but a wrong number on a help page sends a person in
distress to the wrong place. So every web address and phone number in help.yaml must be on
the allow-list below, and adding one is a code change a reviewer sees, not a YAML edit. The
employer's own contacts (data protection lead, manager on call, employee assistance) live in
organisation.yaml, set by the employer: they are the employer's to vouch for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

from course.content.loader import ContentError, load_yaml

# Checked against each body's own public website. Web: the host (and its subdomains);
# phone: the number as written on the page.
ALLOWED_WEB = {
    "sssc.uk.com": "Scottish Social Services Council",
    "careinspectorate.com": "Care Inspectorate",
    "ico.org.uk": "Information Commissioner's Office",
    "protect-advice.org.uk": "Protect (whistleblowing advice)",
    "samaritans.org": "Samaritans",
    "breathingspace.scot": "Breathing Space",
    "nhs24.scot": "NHS 24",
}
ALLOWED_PHONE = {
    "999": "Emergency services",
    "111": "NHS 24",
    "116 123": "Samaritans (free, day and night)",
    "0800 83 85 87": "Breathing Space",
}
EMPLOYER_KEYS = (
    "data_protection_lead",
    "manager_on_call",
    "employee_assistance",
    "whistleblowing",
    "adult_protection",
    "child_protection",
)


@dataclass(frozen=True)
class Contact:
    kind: str  # web | phone | employer
    value: str  # the address, the number, or the employer contact's key
    label: str = ""


@dataclass(frozen=True)
class HelpItem:
    name: str
    what: str
    contacts: tuple[Contact, ...]


@dataclass(frozen=True)
class HelpSection:
    id: str
    title: str
    items: tuple[HelpItem, ...]


@dataclass(frozen=True)
class EmployerContact:
    key: str
    title: str
    how: str


@dataclass(frozen=True)
class HelpPage:
    title: str
    intro: str
    sections: tuple[HelpSection, ...]
    employer_name: str
    employer: dict[str, EmployerContact]


def _need(node, key: str, path: Path, what: str):
    if not isinstance(node, dict) or key not in node or node[key] in (None, ""):
        raise ContentError(path, getattr(node, "line", None), f"{what} needs `{key}`")
    return node[key]


def load_help(root: Path) -> HelpPage:
    """Read help.yaml and organisation.yaml; a missing field is a ContentError with its line."""
    path, org_path = root / "help.yaml", root / "organisation.yaml"
    data, org = load_yaml(path), load_yaml(org_path)
    employer = {}
    for key, entry in (_need(org, "contacts", org_path, "organisation.yaml") or {}).items():
        employer[key] = EmployerContact(
            key,
            str(_need(entry, "title", org_path, f"contact '{key}'")),
            str(_need(entry, "how", org_path, f"contact '{key}'")),
        )
    sections = []
    for s in _need(data, "sections", path, "help.yaml"):
        items = []
        for item in _need(s, "items", path, f"section '{s.get('id', '?')}'"):
            contacts = tuple(
                Contact(
                    str(_need(c, "kind", path, "a contact")),
                    str(_need(c, "value", path, "a contact")),
                    str(c.get("label", "")),
                )
                for c in item.get("contacts", [])
            )
            items.append(
                HelpItem(
                    str(_need(item, "name", path, "a help item")),
                    " ".join(str(_need(item, "what", path, "a help item")).split()),
                    contacts,
                )
            )
        sections.append(
            HelpSection(str(_need(s, "id", path, "a section")), str(_need(s, "title", path, "a section")), tuple(items))
        )
    return HelpPage(
        str(_need(data, "title", path, "help.yaml")),
        " ".join(str(data.get("intro", "")).split()),
        tuple(sections),
        _organisation(org),
        employer,
    )


def _organisation(org) -> str:
    return str((org or {}).get("name") or "Your employer")


def organisation_name(root: Path) -> str:
    """The employer's name (organisation.yaml `name`): on the help page and, as the issuer, on
    every certificate (course.manager.certificates). Read again only when the file changes."""
    path = Path(root) / "organisation.yaml"
    return _organisation_name(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _organisation_name(path: Path, _mtime_ns: int) -> str:
    return _organisation(load_yaml(path))


def _host(value: str) -> str:
    url = value if "://" in value else "https://" + value
    return (urlparse(url).hostname or "").lower().removeprefix("www.")


def contact_problem(contact: Contact, employer: dict) -> str | None:
    """Why this contact may not appear on the help page, or None if it may."""
    if contact.kind == "web":
        host = _host(contact.value)
        if not any(host == allowed or host.endswith("." + allowed) for allowed in ALLOWED_WEB):
            return f"web address '{contact.value}' is not on the help page's allow-list (course/content/help.py)"
        if not contact.value.startswith("https://"):
            return f"web address '{contact.value}' must start with https://"
    elif contact.kind == "phone":
        if contact.value not in ALLOWED_PHONE:
            return f"phone number '{contact.value}' is not on the help page's allow-list (course/content/help.py)"
    elif contact.kind == "employer":
        if contact.value not in employer:
            return f"employer contact '{contact.value}' is not set in organisation.yaml (known: {', '.join(employer) or 'none'})"
    else:
        return f"contact kind '{contact.kind}' is not one of: web, phone, employer"
    return None


def check_help(course) -> list[ContentError]:
    """The help page loads, and every address and number on it is allowed."""
    root = Path(course.policy.path).parent
    if not (root / "help.yaml").exists():
        return [
            ContentError(root / "help.yaml", None, "file not found: the course needs a help page (see docs/CONTENT.md)")
        ]
    try:
        page = load_help(root)
    except ContentError as exc:
        return [exc]
    raw = load_yaml(root / "help.yaml")
    problems = []
    for raw_section, section in zip(raw["sections"], page.sections):
        for raw_item, item in zip(raw_section["items"], section.items):
            for raw_contact, contact in zip(raw_item.get("contacts", []), item.contacts):
                why = contact_problem(contact, page.employer)
                if why:
                    problems.append(ContentError(root / "help.yaml", raw_contact.line, f"{item.name}: {why}"))
    for key in EMPLOYER_KEYS:
        if key not in page.employer:
            problems.append(
                ContentError(root / "organisation.yaml", None, f"contacts: '{key}' is missing (the employer sets it)")
            )
    return problems


PHONE_LINK = re.compile(r"[^\d+]")


def tel_href(number: str) -> str:
    return "tel:" + PHONE_LINK.sub("", number)
