"""Rendering the portal's e-mails: `<base>_subject.txt` and `<base>.txt`, in one language."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation


def render_mail(template_base: str, context: dict, language: str) -> tuple[str, str]:
    """(subject, body) of the templates `<template_base>_subject.txt` and `<template_base>.txt`
    rendered in `language` (Polish when unset), with `portal_url` in the context."""
    with translation.override(language or "pl"):
        context = {**context, "portal_url": settings.PORTAL_BASE_URL.rstrip("/")}
        subject = render_to_string(f"{template_base}_subject.txt", context).strip()
        body = render_to_string(f"{template_base}.txt", context)
    return subject, body
