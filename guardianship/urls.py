"""Routes of this section. Until its capability lands, each page says so (coming soon)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from accounts.views import coming_soon

app_name = "guardianship"

urlpatterns = [
    path("uprawnienia/", coming_soon(_("My permissions")), name="permissions"),
    path("uprawnienia/dzieci/", coming_soon(_("Your children's accounts")), name="children"),
    path("uprawnienia/upowaznienia/", coming_soon(_("Authorisations")), name="authorisations"),
    path("pomoc/dostep-do-konta-dziecka/", coming_soon(_("Why can't I see my child's account?")), name="child_access_help"),
    path("historia-dostepu/", coming_soon(_("Access history")), name="access_log"),
]
