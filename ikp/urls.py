from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from accounts.views import language_switch
from ikp.health import healthz

# Django admin's own login would bypass allauth's MFA and rate limits.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "IKP — administracja"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("konto/", include("allauth.urls")),
    path("i18n/setlang/", language_switch, name="set_language"),
    path("healthz", healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("", include("guardianship.urls")),
    path("", include("records.urls")),
    path("", include("sickleaves.urls")),
    path("", include("vaccinations.urls")),
    path("", include("vaccinations.urls_clinic")),
    path("", include("support.urls")),
    path("", include("support.urls_desk")),
    path("", include("feeds.urls")),
]
