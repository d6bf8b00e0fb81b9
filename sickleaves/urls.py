"""Historia leczenia → Zwolnienia (e-ZLA) of the account open in the session."""

from django.urls import path

from sickleaves import views

app_name = "sickleaves"

urlpatterns = [
    path("historia-leczenia/zwolnienia/", views.sick_leave_list, name="list"),
]
