"""Runner for the test identity provider, like a project's manage.py.

    python -m tests.oidc_idp.manage prepare     # migrate, then create IDP_USERS and IDP_CLIENT
    python -m tests.oidc_idp.manage <any django command>

Run from the repository root, with the IDP_* environment of settings.py.
"""

import os
import sys


def prepare() -> None:
    """Migrate the provider's database and seed it from the environment (idempotent)."""
    from allauth.account.models import EmailAddress
    from allauth.idp.oidc.models import Client
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    User = get_user_model()
    for entry in settings.IDP_USERS:
        user, _ = User.objects.update_or_create(
            username=entry["username"],
            defaults={
                "email": entry.get("email", ""),
                "first_name": entry.get("given_name", ""),
                "last_name": entry.get("family_name", ""),
            },
        )
        user.set_password(entry["password"])
        user.save()
        if entry.get("email"):
            EmailAddress.objects.update_or_create(
                user=user, email=entry["email"], defaults={"verified": True, "primary": True}
            )
    client = settings.IDP_CLIENT
    if client:
        Client.objects.update_or_create(
            id=client["client_id"],
            defaults={
                "name": client.get("name", "IKP"),
                "secret": make_password(client["secret"]),
                "type": Client.Type.CONFIDENTIAL,
                "scopes": "\n".join(client["scopes"]),
                "default_scopes": "\n".join(client["scopes"]),
                "grant_types": Client.GrantType.AUTHORIZATION_CODE,
                "response_types": Client.ResponseType.CODE,
                "redirect_uris": "\n".join(client["redirect_uris"]),
                "skip_consent": True,
            },
        )


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_idp.settings")
    if sys.argv[1:2] == ["prepare"]:
        import django

        django.setup()
        prepare()
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
