"""What ikp-pomoc accepts as an attachment (support/attachments.py): real small PDF, JPEG and
PNG files by their content, whatever their names say; everything else refused with a message
that names the file."""

import base64
import io

import pytest
from django.utils import translation

from support.attachments import AttachmentRejected, accept
from support.models import Attachment
from support.services import NewFile


def _pdf() -> bytes:
    """A complete one-page PDF (catalog, pages, page, a correct cross-reference table)."""
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n" + b"".join(
        b"%010d 00000 n \n" % offset for offset in offsets
    )
    return out + b"trailer\n<</Size 4/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % xref


# A one-page PDF and 1×1 JPEG and PNG images (the images as Pillow writes them).
PDF = _pdf()
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hn"
    "Pk1xeXBkeFxlZ2P/wAALCAABAAEBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9"
    "AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZn"
    "aGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP0"
    "9fb3+Pn6/9oACAEBAAA/APQK/9k="
)
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR42mP4DwABAQEAHLCMmQAAAABJRU5ErkJggg=="
)
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8" + b"\x00" * 47 + b"PE\x00\x00"
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_the_sample_files_are_real():
    """The samples open in a PDF reader and an image decoder, so acceptance is tested on real files."""
    from PIL import Image  # installed with WeasyPrint
    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(PDF), strict=True).pages) == 1
    for data, kind in ((JPEG, "JPEG"), (PNG, "PNG")):
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            assert (image.format, image.size) == (kind, (1, 1))


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("skierowanie.pdf", PDF, NewFile("skierowanie.pdf", "application/pdf", PDF)),
        ("IMG_0042.JPEG", JPEG, NewFile("IMG_0042.jpg", "image/jpeg", JPEG)),
        ("zrzut ekranu.png", PNG, NewFile("zrzut ekranu.png", "image/png", PNG)),
    ],
)
def test_real_pdf_jpeg_and_png_files_are_accepted_unchanged(name, data, expected):
    assert accept(name, data) == expected


def test_the_type_comes_from_the_content_not_the_name():
    accepted = accept("scan.pdf", PNG)

    assert (accepted.name, accepted.content_type, accepted.data) == ("scan.png", "image/png", PNG)


def test_a_path_in_the_name_is_dropped():
    assert accept("C:\\Users\\anna\\Desktop\\../dowód.pdf", PDF).name == "dowód.pdf"


def test_an_exe_named_pdf_is_refused_naming_the_file():
    with pytest.raises(AttachmentRejected) as refused:
        accept("skierowanie.pdf", EXE)

    assert refused.value.code == "type"
    assert "skierowanie.pdf" in refused.value.message
    assert "PDF, JPEG or PNG" in refused.value.message


def test_the_refusal_names_the_file_without_its_path():
    with pytest.raises(AttachmentRejected) as refused:
        accept("/home/anna/wyniki.txt", b"plain text results")

    assert refused.value.code == "type"
    assert "wyniki.txt" in refused.value.message and "/home/anna" not in refused.value.message


def test_an_empty_file_is_refused():
    with pytest.raises(AttachmentRejected) as refused:
        accept("pusty.pdf", b"")

    assert refused.value.code == "empty"
    assert "pusty.pdf" in refused.value.message


def test_a_file_over_the_limit_is_refused_and_one_at_the_limit_accepted(settings):
    settings.SUPPORT_ATTACHMENT_MAX_BYTES = len(PDF)

    assert accept("ok.pdf", PDF).data == PDF
    with pytest.raises(AttachmentRejected) as refused:
        accept("duzy.pdf", PDF + b"\n")

    assert refused.value.code == "size"
    assert "duzy.pdf" in refused.value.message
    assert "bytes" in refused.value.message  # the limit, in words (filesizeformat)


def test_the_size_is_checked_before_the_content(settings):
    """A huge file is refused for its size without reading it as a type."""
    settings.SUPPORT_ATTACHMENT_MAX_BYTES = 10

    with pytest.raises(AttachmentRejected) as refused:
        accept("film.exe", EXE)

    assert refused.value.code == "size"


def test_the_refusal_is_a_value_error_with_its_code():
    with pytest.raises(ValueError, match="empty"):
        accept("x.pdf", b"")


def test_the_accepted_name_fits_the_attachment_model():
    accepted = accept("ą" * 500 + ".pdf", PDF)

    assert len(accepted.name) <= Attachment._meta.get_field("name").max_length
    assert accepted.name.endswith(".pdf")
