"""The ikp-pomoc staff desk (/obsluga/zgloszenia/): support group, MFA."""

from django.urls import path

from support import views_desk as views

app_name = "desk"

_T = "obsluga/zgloszenia/<uuid:public_id>/"

urlpatterns = [
    path("obsluga/zgloszenia/", views.queue, name="queue"),
    path("obsluga/zgloszenia/szukaj/", views.search, name="search"),
    path(_T, views.ticket, name="ticket"),
    path(_T + "przypisz/", views.assign, name="assign"),
    path(_T + "odpowiedz/", views.reply, name="reply"),
    path(_T + "notatka/", views.note, name="note"),
    path(_T + "status/", views.status, name="status"),
    path(_T + "osoba/", views.person, name="person"),
    path(_T + "synchronizacja/", views.resync, name="resync"),
    path(_T + "opiekun/", views.grant, name="grant"),
    path(_T + "to-nie-moje-dziecko/", views.not_my_child, name="not_my_child"),
    path(_T + "zalaczniki/<uuid:attachment_id>/", views.attachment, name="attachment"),
]
