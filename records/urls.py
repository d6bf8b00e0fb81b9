"""Historia leczenia → Dokumenty. Documents appear in paths only by their opaque public id."""

from django.urls import path

from records import views

app_name = "records"

urlpatterns = [
    path("historia-leczenia/dokumenty/", views.documents, name="documents"),
    path("historia-leczenia/dokumenty/<uuid:public_id>/", views.document, name="document"),
    path(
        "historia-leczenia/dokumenty/<uuid:public_id>/pdf/", views.document_pdf, name="document_pdf"
    ),
]
