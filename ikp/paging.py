"""One way to cut a list into pages: ?strona=N, never a 404 for a bad or too high number."""

from django.core.paginator import Paginator


def page_of(request, items, per_page: int):
    """(page, page_range) for templates/includes/pagination.html."""
    page = Paginator(items, per_page).get_page(request.GET.get("strona"))
    return page, page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
