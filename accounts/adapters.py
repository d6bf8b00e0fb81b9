"""allauth adapters: who may sign up, and how a national-login identity becomes a Person.

Local sign-up is closed: patient logins are made at the counter (`verify_patient`) or by the
first login through the OpenID Connect provider (the national login node stands behind it).
That provider sends these claims, in the ID token or from userinfo:

    sub, pesel, given_name, family_name, email (optional),
    auth_method: "trusted_profile" | "bank" | "e_id"   (absent means trusted_profile)

Each such login records a fresh IdentityVerification with that method.
"""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.shortcuts import render

from accounts.models import User
from accounts.rules import InvalidPesel, VerificationMethod
from accounts.services import IdentityError, identity_verification_record, person_get_or_create


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False


def _claims(sociallogin) -> dict:
    data = sociallogin.account.extra_data or {}
    merged = {}
    merged.update(data.get("id_token") or {})
    merged.update(data.get("userinfo") or {})
    return merged


def _method(claims: dict) -> str:
    value = claims.get("auth_method") or VerificationMethod.TRUSTED_PROFILE.value
    try:
        return VerificationMethod(value).value
    except ValueError:
        return VerificationMethod.TRUSTED_PROFILE.value


def _refuse(request, reason: str):
    response = render(request, "accounts/login_refused.html", {"reason": reason}, status=403)
    raise ImmediateHttpResponse(response)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return True

    def pre_social_login(self, request, sociallogin) -> None:
        claims = _claims(sociallogin)
        try:
            person = person_get_or_create(
                pesel=str(claims.get("pesel", "")),
                first_name=str(claims.get("given_name", "")),
                surname=str(claims.get("family_name", "")),
            )
        except (InvalidPesel, IdentityError):
            _refuse(request, "identity_incomplete")
        if sociallogin.is_existing:
            if sociallogin.user.person_id != person.pk:
                _refuse(request, "identity_mismatch")
            identity_verification_record(user=sociallogin.user, method=_method(claims))
            return
        existing = User.objects.filter(person=person).first()
        if existing is not None:
            sociallogin.connect(request, existing)
            identity_verification_record(user=existing, method=_method(claims))
            return
        sociallogin.user.person = person

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form)
        identity_verification_record(user=user, method=_method(_claims(sociallogin)))
        return user
