"""Routes of this section. Until its capability lands, each page says so (coming soon)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from accounts.views import coming_soon

app_name = "support"

urlpatterns = [
    path("pomoc/zgloszenia/", coming_soon(_("Support tickets")), name="tickets"),
]
