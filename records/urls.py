"""Routes of this section. Until its capability lands, each page says so (coming soon)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from accounts.views import coming_soon

app_name = "records"

urlpatterns = [
    path("historia-leczenia/dokumenty/", coming_soon(_("Documents")), name="documents"),
]
