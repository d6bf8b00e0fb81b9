"""A document's PDF: WeasyPrint renders the detail page's partial, with Polish letters intact,
an anonymous ASCII file name, nothing fetched from anywhere, and an access-log row."""

import re
import zlib
from io import BytesIO

import pytest

from guardianship.models import AccessLogEntry
from records import pdf
from records.models import Document
from records.tests import test_documents
from records.tests.test_documents import make_document, open_account

adult_authoriser = test_documents.adult_authoriser  # the shared fixture

POLISH_LETTERS = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ"
# The Polish pangram carries all nine letters, in both cases.
BODY = "Rozpoznanie: zapalenie płuc.\nZażółć gęślą jaźń. ZAŻÓŁĆ GĘŚLĄ JAŹŃ."


def pdf_url(document) -> str:
    return f"/historia-leczenia/dokumenty/{document.public_id}/pdf/"


def streams(data: bytes) -> list[bytes]:
    """The PDF's streams, inflated where they are Flate-compressed (WeasyPrint's default)."""
    found = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.DOTALL):
        try:
            found.append(zlib.decompress(raw))
        except zlib.error:
            found.append(raw)
    return found


def embedded_fonts(data: bytes) -> set[str]:
    """Base names of the embedded fonts, without the subset tag (ABCDEF+DejaVu-Sans)."""
    names = set()
    for stream in streams(data):
        names.update(
            m.decode() for m in re.findall(rb"/BaseFont\s*/(?:[A-Z]{6}\+)?([A-Za-z-]+)", stream)
        )
    return names


def mapped_characters(data: bytes) -> set[str]:
    """Every character the fonts' ToUnicode maps give back: what a reader copies or searches.
    A letter drawn as a missing glyph or a fallback box has no entry here."""
    characters = set()
    for stream in streams(data):
        if b"beginbfchar" not in stream:
            continue
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.DOTALL):
            for target in re.findall(rb"<[0-9a-fA-F]+>\s*<([0-9a-fA-F]+)>", block):
                characters.add(bytes.fromhex(target.decode()).decode("utf-16-be"))
    return characters


@pytest.fixture
def discharge(insured_child) -> Document:
    return make_document(
        insured_child,
        type=Document.Type.DISCHARGE_SUMMARY,
        title="Karta informacyjna — oddział pediatryczny",
        facility_name="Szpital Dziecięcy im. św. Łukasza w Łodzi",
        author_name="dr Łucja Żółkiewska",
        body=BODY,
    )


@pytest.fixture
def fetchers(monkeypatch) -> list:
    """The URL fetchers the view's renderings were given (each records what it was asked)."""
    made = []
    original = pdf.refusing_fetcher

    def recording():
        made.append(original())
        return made[-1]

    monkeypatch.setattr(pdf, "refusing_fetcher", recording)
    return made


def test_it_downloads_a_pdf_with_an_anonymous_ascii_name_and_logs_it(
    client, parent, insured_child, discharge, fetchers
):
    open_account(client, parent, insured_child)

    response = client.get(pdf_url(discharge))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    disposition = response["Content-Disposition"]
    assert disposition == f'attachment; filename="dokument-{discharge.public_id.hex[:8]}.pdf"'
    assert disposition.isascii()
    assert insured_child.pesel not in disposition and insured_child.surname not in disposition
    assert "no-store" in response["Cache-Control"]
    # The page and the PDF render the same partial.
    assert "records/includes/document_content.html" in [t.name for t in response.templates]
    assert [f.requested for f in fetchers] == [[]]  # rendering asked for no URL at all
    [entry] = AccessLogEntry.objects.filter(action="download_document")
    assert (entry.actor, entry.subject, entry.basis, entry.target) == (
        parent, insured_child, "insurance", str(discharge.public_id),
    )  # fmt: skip


def test_the_pdf_embeds_dejavu_sans_with_every_polish_letter(
    client, parent, insured_child, discharge
):
    open_account(client, parent, insured_child)
    data = client.get(pdf_url(discharge)).content

    assert "DejaVu-Sans" in embedded_fonts(data)
    assert set(POLISH_LETTERS) <= mapped_characters(data)


def test_the_pdf_text_reads_back_with_polish_letters_intact(
    client, parent, insured_child, discharge
):
    pypdf = pytest.importorskip("pypdf")  # a dev dependency: `uv add --dev pypdf`
    open_account(client, parent, insured_child)
    reader = pypdf.PdfReader(BytesIO(client.get(pdf_url(discharge)).content))
    text = " ".join(page.extract_text() for page in reader.pages)

    for expected in (
        discharge.title,
        discharge.facility_name,
        discharge.author_name,
        "Zażółć gęślą jaźń",
        "ZAŻÓŁĆ GĘŚLĄ JAŹŃ",
    ):
        assert expected in text
    assert "Wypis ze szpitala" in text or "Hospital discharge summary" in text


def test_the_fetcher_refuses_every_url_and_stops_the_rendering():
    # The control for the "asked for nothing" assertions: a linked resource would be refused
    # and would fail the rendering, not be fetched or silently dropped.
    from weasyprint.urls import FatalURLFetchingError

    fetcher = pdf.refusing_fetcher()
    with pytest.raises(FatalURLFetchingError):
        pdf.render_pdf('<p>x</p><img src="https://example.org/logo.png">', url_fetcher=fetcher)
    assert fetcher.requested == ["https://example.org/logo.png"]


def test_a_16_year_old_downloads_their_own_document(client, child_16):
    document = make_document(child_16.person, title="Badanie słuchu")
    client.force_login(child_16)
    response = client.get(pdf_url(document))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert (
        AccessLogEntry.objects.filter(
            action="download_document", actor=child_16, subject=child_16.person
        ).count()
        == 1
    )


def test_a_read_only_authorisation_downloads_an_adults_document(
    client, granted_guardian, adult_authoriser
):
    document = make_document(adult_authoriser, title="Opis rezonansu")
    open_account(client, granted_guardian, adult_authoriser)
    assert client.get(pdf_url(document)).status_code == 200
    entry = AccessLogEntry.objects.get(action="download_document")
    assert (entry.actor, entry.subject, entry.basis) == (
        granted_guardian,
        adult_authoriser,
        "authorisation",
    )


def test_the_parent_cannot_download_a_document_of_the_child_of_someone_else(
    client, parent, other_parent, insured_child, discharge
):
    # other_parent has no insurance link and no grant: a stranger to the child.
    client.force_login(other_parent)
    assert client.get(pdf_url(discharge)).status_code == 404
    assert not AccessLogEntry.objects.filter(action="download_document").exists()


def test_the_filename_never_carries_the_title_or_person():
    document = Document(title="Wypis — Zofia Kowalska 12345678901")
    assert re.fullmatch(r"dokument-[0-9a-f]{8}\.pdf", pdf.filename_for(document))
