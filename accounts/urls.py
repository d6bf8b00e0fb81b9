from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.start, name="start"),
    path("konto/weryfikacja/", views.identity_verification_required, name="identity_verification_required"),
    path("konto/dev/", views.dev_login, name="dev_login"),
    path("pomoc/", views.help_index, name="help"),
]
