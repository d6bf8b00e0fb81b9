"""Permissions, children's accounts, authorisations, the child-access help and the access log.

Subjects and grants appear in paths only by opaque UUID (never a PESEL)."""

from django.urls import path

from guardianship import views, views_help

app_name = "guardianship"

urlpatterns = [
    path("uprawnienia/", views.permissions, name="permissions"),
    path("uprawnienia/dzieci/", views.children, name="children"),
    path("uprawnienia/dzieci/<uuid:public_id>/przelacz/", views.switch_to, name="switch_to"),
    path("uprawnienia/moje-konto/", views.switch_back, name="switch_back"),
    path("uprawnienia/dzieci/<uuid:public_id>/opiekunowie/", views.guardians, name="guardians"),
    path("uprawnienia/dzieci/<uuid:public_id>/opiekunowie/<uuid:grant_id>/odwolaj/", views.guardian_revoke, name="guardian_revoke"),
    path("uprawnienia/dzieci/<uuid:public_id>/to-nie-moje-dziecko/", views_help.not_my_child, name="not_my_child"),
    path("uprawnienia/upowaznienia/", views.authorisations, name="authorisations"),
    path("uprawnienia/upowaznienia/<uuid:grant_id>/odwolaj/", views.authorisation_revoke, name="authorisation_revoke"),
    path("pomoc/dostep-do-konta-dziecka/", views_help.child_access_help, name="child_access_help"),
    path("pomoc/dostep-do-konta-dziecka/zgloszenie/", views_help.child_access_ticket, name="child_access_ticket"),
    path("historia-dostepu/", views.access_log, name="access_log"),
]
