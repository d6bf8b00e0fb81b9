"""Documents as PDF, rendered by WeasyPrint from HTML the view renders.

Rendering never touches the network: the stylesheet is a string, the HTML links nothing, and
the URL fetcher refuses every URL. `fail_on_errors` turns a refused fetch into an error instead
of WeasyPrint's usual warning, so a template that starts linking an image or a stylesheet fails
its tests rather than quietly calling out from a production worker. Fonts come from
fontconfig: DejaVu Sans has every Polish letter.

WeasyPrint (and the Pango library it loads) is imported on first use only: most processes —
workers, commands, other pages — never render a PDF.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from records.models import Document

PDF_CSS = """
@page {
  size: A4;
  margin: 18mm 18mm 20mm;
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; color: #505a5f; }
}
html { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; line-height: 1.45; color: #0b0c0c; }
h1 { font-size: 16pt; margin: 0 0 4mm; }
.ikp-pdf__caption { color: #505a5f; margin: 0 0 2mm; }
.ikp-pdf__footer { color: #505a5f; font-size: 8pt; margin-top: 8mm; border-top: 0.5pt solid #b1b4b6; padding-top: 2mm; }
dl { margin: 0 0 6mm; border-top: 0.5pt solid #b1b4b6; }
dl > div { display: flex; border-bottom: 0.5pt solid #b1b4b6; padding: 1.5mm 0; }
dt { font-weight: bold; width: 45mm; flex: none; }
dd { margin: 0; }
h2 { font-size: 12pt; margin: 0 0 2mm; }
"""


class NetworkRefused(Exception):
    """WeasyPrint asked for a URL. Nothing in a document's PDF may be fetched."""


def refusing_fetcher():
    """A WeasyPrint URL fetcher that refuses every URL and remembers what it was asked for
    (`requested`), so tests can prove that rendering asked for nothing."""
    from weasyprint.urls import URLFetcher

    class RefusingFetcher(URLFetcher):
        def __init__(self):
            super().__init__(fail_on_errors=True)
            self.requested: list[str] = []

        def fetch(self, url, headers=None):
            self.requested.append(url)
            raise NetworkRefused(url)

    return RefusingFetcher()


def render_pdf(html: str, *, url_fetcher=None) -> bytes:
    """The PDF of `html`, with the built-in stylesheet and no network access."""
    import weasyprint

    fetcher = url_fetcher or refusing_fetcher()
    stylesheet = weasyprint.CSS(string=PDF_CSS, url_fetcher=fetcher)
    return weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf(
        stylesheets=[stylesheet]
    )


def filename_for(document: "Document") -> str:
    """ASCII and anonymous: the opaque id's first characters, never a name or a PESEL."""
    return f"dokument-{document.public_id.hex[:8]}.pdf"
