"""ikp/uploads.py: what Django's multipart parser does with a file name it cannot read, and that
the portal's parser keeps the file instead, on every request."""

import io

import pytest
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParser
from django.test import RequestFactory

from ikp.uploads import UNREADABLE_NAME, KeepUnreadableNamesParser, UnreadableUploadNamesMiddleware

BOUNDARY = "BoUnDaRy"
UNREADABLE = ["\x01\x02", "\u200b", "\u2066\u2069", "\x7f", ".", "..", "skany/", "C:\\skany\\"]


def body(filename: str) -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="text"\r\n\r\n'
        "Zażółć\r\n"
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
        "%PDF-1.4 content\r\n"
        f"--{BOUNDARY}--\r\n"
    ).encode()


def parse(parser_class, filename: str):
    data = body(filename)
    request = RequestFactory().post(
        "/", data=data, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    return parser_class(request.META, io.BytesIO(data), request.upload_handlers, "utf-8").parse()


@pytest.mark.parametrize("filename", UNREADABLE, ids=repr)
def test_django_drops_a_file_whose_name_sanitises_to_nothing(filename):
    """The behaviour ikp/uploads.py exists for. If a Django upgrade stops dropping these files,
    this fails: the portal's parser may then be unnecessary."""
    post, files = parse(MultiPartParser, filename)

    assert post["text"] == "Zażółć"
    assert "file" not in files


@pytest.mark.parametrize("filename", UNREADABLE, ids=repr)
def test_the_portal_keeps_it_under_a_generic_name(filename):
    post, files = parse(KeepUnreadableNamesParser, filename)

    assert post["text"] == "Zażółć"
    assert files["file"].name == UNREADABLE_NAME
    assert files["file"].read() == b"%PDF-1.4 content"


@pytest.mark.parametrize(
    ("filename", "kept_as"),
    [
        ("skan.pdf", "skan.pdf"),
        ("../../etc/passwd", "passwd"),
        ("a\x00b.pdf", "ab.pdf"),
        ("   ", "   "),
    ],
)
def test_readable_names_are_sanitised_as_django_does(filename, kept_as):
    assert parse(KeepUnreadableNamesParser, filename)[1]["file"].name == kept_as


def test_an_empty_filename_is_still_no_file():
    """What a browser sends for a file input left empty."""
    assert "file" not in parse(KeepUnreadableNamesParser, "")[1]


def test_the_middleware_sets_the_parser_before_the_view_reads_the_body():
    data = body("\u200b")
    request = RequestFactory().post(
        "/", data=data, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    seen = {}

    def view(request):
        seen["files"] = request.FILES
        return HttpResponse()

    UnreadableUploadNamesMiddleware(view)(request)

    assert request.multipart_parser_class is KeepUnreadableNamesParser
    assert seen["files"]["file"].name == UNREADABLE_NAME
