from django.urls import include, path

urlpatterns = [
    # The login page the portal's users are sent to (allauth's own account views).
    path("accounts/", include("allauth.urls")),
    # /.well-known/openid-configuration, /.well-known/jwks.json, /identity/o/authorize, ...
    path("", include("allauth.idp.urls")),
]
