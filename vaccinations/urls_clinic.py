"""Clinic staff pages (/obsluga/przychodnia/). Clinics, slots and doses appear in paths only by
opaque UUID; a child's PESEL never does (it travels in the POST body of the dose form)."""

from django.urls import path

from vaccinations import views_clinic as views

app_name = "clinic"

_CLINIC = "obsluga/przychodnia/<uuid:clinic_id>/"

urlpatterns = [
    path("obsluga/przychodnia/", views.home, name="home"),
    path(_CLINIC + "terminy/", views.slots, name="slots"),
    path(_CLINIC + "terminy/<uuid:slot_id>/wycofaj/", views.slot_withdraw, name="slot_withdraw"),
    path(_CLINIC + "wizyty-otwarte/", views.visits, name="visits"),
    path(_CLINIC + "wizyty-otwarte/<uuid:dose_id>/zamknij/", views.visit_close, name="visit_close"),
    path(_CLINIC + "szczepienie/", views.record_dose, name="record_dose"),
]
