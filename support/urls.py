"""Patient side of ikp-pomoc: the user's own requests, and login help (open to everyone)."""

from django.urls import path

from support import views, views_login_help

app_name = "support"

urlpatterns = [
    path("pomoc/zgloszenia/", views.tickets, name="tickets"),
    path("pomoc/zgloszenia/nowe/", views.ticket_new, name="ticket_new"),
    path("pomoc/zgloszenia/<uuid:public_id>/", views.ticket, name="ticket"),
    path("pomoc/zgloszenia/<uuid:public_id>/odpowiedz/", views.ticket_reply, name="ticket_reply"),
    path("pomoc/zgloszenia/<uuid:public_id>/otworz-ponownie/", views.ticket_reopen, name="ticket_reopen"),
    path(
        "pomoc/zgloszenia/<uuid:public_id>/zalaczniki/<uuid:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
    path("pomoc/logowanie/", views_login_help.login_help, name="login_help"),
]
