"""`manage.py verify_patient PESEL --email E [--password P] --method in_person`

Gives a person a verified login, as an NFZ branch does at the counter. Without --password the
person gets an e-mail with a link to set one. Output never repeats the PESEL.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.rules import InvalidPesel, VerificationMethod
from accounts.services import IdentityError, patient_verify
from accounts.validation import pesel_error_message
from accounts.password_setup import send_password_setup

_ERRORS = {
    "names_required": "No person with this PESEL is known yet: give --first-name and --surname.",
    "email_taken": "This e-mail address already belongs to another login.",
    "email_mismatch": "This person already has a login with a different e-mail address.",
}


class Command(BaseCommand):
    help = "Give a person a verified login (as an NFZ branch does at the counter)."

    def add_arguments(self, parser):
        parser.add_argument("pesel")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password")
        parser.add_argument("--method", required=True, choices=[m.value for m in VerificationMethod])
        parser.add_argument("--first-name", default="")
        parser.add_argument("--surname", default="")

    def handle(self, *args, **options):
        try:
            result = patient_verify(
                pesel=options["pesel"],
                email=options["email"],
                password=options["password"],
                method=options["method"],
                first_name=options["first_name"],
                surname=options["surname"],
            )
        except InvalidPesel as error:
            raise CommandError(str(pesel_error_message(error.problem))) from None
        except IdentityError as error:
            raise CommandError(_ERRORS[error.code]) from None
        if not options["password"] and not result.user.has_usable_password():
            send_password_setup(result.user)
            self.stdout.write("A link to set the password was sent to the e-mail address.")
        action = "Created" if result.created else "Updated"
        self.stdout.write(
            self.style.SUCCESS(
                f"{action} login {result.user.email}; verified ({result.verification.method}) "
                f"until {result.verification.expires_at:%Y-%m-%d}."
            )
        )
