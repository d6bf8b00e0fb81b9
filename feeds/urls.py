from django.urls import path

from feeds import views

app_name = "feeds"

urlpatterns = [
    path("obsluga/synchronizacja/", views.sync_monitor, name="sync_monitor"),
    path("obsluga/synchronizacja/kwarantanna/<uuid:public_id>/", views.quarantined_line, name="quarantined_line"),
]
