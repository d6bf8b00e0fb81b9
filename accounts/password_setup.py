"""The e-mail that lets a person verified at the counter set their first password."""

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation


def send_password_setup(user) -> None:
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
    )
    context = {"url": settings.PORTAL_BASE_URL.rstrip("/") + path}
    with translation.override("pl"):
        subject = render_to_string("emails/password_setup_subject.txt", context).strip()
        body = render_to_string("emails/password_setup.txt", context)
    send_mail(subject, body, None, [user.email])
