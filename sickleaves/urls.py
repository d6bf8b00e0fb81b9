"""Routes of this section. Until its capability lands, each page says so (coming soon)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from accounts.views import coming_soon

app_name = "sickleaves"

urlpatterns = [
    path("historia-leczenia/zwolnienia/", coming_soon(_("Sick leaves")), name="list"),
]
