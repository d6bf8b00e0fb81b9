"""Claims like those of the gateway in front of the national login node.

allauth's default adapter already gives `sub`, `given_name`/`family_name` (from the IdP user's
first_name/last_name, scope "profile") and `email` (from its EmailAddress, scope "email").
This one adds, under the scope "pesel" the portal asks for, the person's `pesel` and
`auth_method` ("trusted_profile" | "bank" | "e_id"), taken from settings.IDP_USERS by username.
A user entry without `auth_method` sends none (the portal then assumes the trusted profile).
"""

from typing import Any, ClassVar

from allauth.idp.oidc.adapter import DefaultOIDCAdapter
from django.conf import settings


def identity_of(username: str) -> dict[str, Any]:
    for entry in settings.IDP_USERS:
        if entry["username"] == username:
            return entry
    return {}


class TestIdPAdapter(DefaultOIDCAdapter):
    scope_display: ClassVar[dict] = {
        **DefaultOIDCAdapter.scope_display,
        "pesel": "View your PESEL and how you logged in",
    }

    def get_claims(self, purpose, user, client, scopes, email=None, **kwargs) -> dict[str, Any]:
        claims = super().get_claims(purpose, user, client, scopes, email=email, **kwargs)
        if "pesel" in scopes:
            identity = identity_of(user.get_username())
            for claim in ("pesel", "auth_method"):
                if identity.get(claim):
                    claims[claim] = identity[claim]
        return claims
