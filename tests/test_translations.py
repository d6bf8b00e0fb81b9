"""The interface is Polish first: every marked string has a Polish translation.

Strings are written in English in the source, so English is complete by construction; the
Polish catalogue must hold every msgid the source marks, with no empty or fuzzy entry.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "pl" / "LC_MESSAGES" / "django.po"
SOURCE_DIRS = ["accounts", "guardianship", "vaccinations", "records", "sickleaves", "support", "feeds", "ikp", "templates"]


def _entries(po_text: str) -> dict[str, tuple[str, bool]]:
    """msgid -> (msgstr, fuzzy), joining continued lines; plural forms use msgstr[0]."""
    entries = {}
    for block in po_text.split("\n\n"):
        fuzzy = "#, fuzzy" in block or ", fuzzy" in block
        msgid = _field(block, "msgid")
        msgstr = _field(block, "msgstr") or _field(block, r"msgstr\[0\]")
        if msgid:
            entries[msgid] = (msgstr, fuzzy)
    return entries


def _field(block: str, name: str) -> str:
    match = re.search(rf'^{name} "(.*)"\n((?:".*"\n?)*)', block + "\n", re.MULTILINE)
    if not match:
        return ""
    continued = re.findall(r'^"(.*)"$', match.group(2), re.MULTILINE)
    return match.group(1) + "".join(continued)


def test_every_polish_entry_is_translated_and_not_fuzzy():
    untranslated = [msgid for msgid, (msgstr, fuzzy) in _entries(PO.read_text()).items() if not msgstr or fuzzy]
    assert not untranslated, f"Polish translations missing or fuzzy: {untranslated[:20]}"


def test_the_polish_catalogue_holds_every_string_the_source_marks(tmp_path):
    for name in SOURCE_DIRS:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.pyc", "locale"))
    shutil.copy(ROOT / "manage.py", tmp_path)
    (tmp_path / "locale").mkdir()
    env = {"DJANGO_ENV": "test", "DATABASE_URL": "postgresql://unused/unused", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "pl", "-v", "0"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    marked = set(_entries((tmp_path / "locale/pl/LC_MESSAGES/django.po").read_text()))
    catalogue = set(_entries(PO.read_text()))
    assert not marked - catalogue, f"strings marked in the source but missing from locale/pl: {sorted(marked - catalogue)[:20]}"
