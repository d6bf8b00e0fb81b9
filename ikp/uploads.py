"""Uploaded files are never dropped for their name: one parser for every form that takes files.

What Django does: `MultiPartParser.sanitize_file_name()` keeps the last path component of the
name the browser sent and removes every character that is not printable. When nothing is left
(a name of control or format characters only, such as "\\x01\\x02", "\\u200b" or "\\u2066\\u2069",
a name ending in "/" or "\\", or "." or "..") it returns None and the parser skips the whole file
part. The view then sees a form without that file: an optional file field is simply empty, and
the request is saved without it, while the person believes it was sent.

Decision: such a file is kept, under the name UNREADABLE_NAME ("attachment"), and goes through
the form's checks like any other file. A name is only a label here; what a file is and whether
it is accepted is decided by its content (support/attachments.py), which then gives it the
extension of its real type ("attachment.pdf"), the same name the portal already gives a file
whose name holds nothing it can use (support.rules.safe_filename, also for inbound e-mail). So
the person loses nothing, has nothing to redo, sees the file in the thread under that name, and
a bad file is still refused by its content. Refusing the form instead ("rename the file and add
it again") would make the person pick every file again for a name nobody reads, and would
treat "\\u200b" differently from "\\u200b.pdf" or "   ", which Django keeps and the portal renames.

A part whose filename is empty (filename="") is still no file: that is what a browser sends for
a file input on which nothing was chosen, and Django skips it before it asks for a clean name.

UnreadableUploadNamesMiddleware puts the parser on every request (HttpRequest's
`multipart_parser_class`, Django 6.0+). It comes first in MIDDLEWARE: the class must be set
before anything reads request.POST or request.FILES (CSRF does, in process_view).
"""

from django.http.multipartparser import MultiPartParser

UNREADABLE_NAME = "attachment"


class KeepUnreadableNamesParser(MultiPartParser):
    """Django's parser, but a file whose name sanitises to nothing keeps UNREADABLE_NAME."""

    def sanitize_file_name(self, file_name):
        # Called only for a non-empty filename; None would make the parser skip the file.
        return super().sanitize_file_name(file_name) or UNREADABLE_NAME


class UnreadableUploadNamesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.multipart_parser_class = KeepUnreadableNamesParser
        return self.get_response(request)
