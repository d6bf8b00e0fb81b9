"""Profilaktyka → Szczepienia and the booking path (the FAQ's steps). Appointments and slots
appear in paths only by opaque UUID."""

from django.urls import path

from vaccinations import views

app_name = "vaccinations"

urlpatterns = [
    path("profilaktyka/szczepienia/", views.overview, name="overview"),
    path("profilaktyka/szczepienia/umow/", views.book, name="book"),
    path("profilaktyka/szczepienia/umow/termin/<uuid:slot_id>/", views.book_confirm, name="book_confirm"),
    path("profilaktyka/szczepienia/umow/<str:vaccine_code>/", views.book_slots, name="book_slots"),
    path("profilaktyka/szczepienia/wizyty/<uuid:public_id>/", views.appointment, name="appointment"),
    path("profilaktyka/szczepienia/wizyty/<uuid:public_id>/odwolaj/", views.appointment_cancel, name="appointment_cancel"),
    path("profilaktyka/szczepienia/zgloszenie/", views.hpv_ticket, name="hpv_ticket"),
]
