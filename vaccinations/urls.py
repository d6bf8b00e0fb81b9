"""Routes of this section. Until its capability lands, each page says so (coming soon)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from accounts.views import coming_soon

app_name = "vaccinations"

urlpatterns = [
    path("profilaktyka/szczepienia/", coming_soon(_("Vaccinations")), name="overview"),
    path("profilaktyka/szczepienia/umow/", coming_soon(_("Book a vaccination")), name="book"),
]
