import uuid

import pghistory
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.rules import VerificationMethod


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Person(models.Model):
    """A natural person known by PESEL. Children are Persons without a login.

    `birth_date` and `sex` are derived from the PESEL (accounts.rules.parse_pesel) by whoever
    writes the row: services and the admin form; they are stored so that age queries run in SQL.
    """

    class Sex(models.TextChoices):
        FEMALE = "F", _("female")
        MALE = "M", _("male")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    pesel = models.CharField("PESEL", max_length=11, db_collation="C")  # unique: see Meta
    first_name = models.CharField(_("first name"), max_length=100)
    surname = models.CharField(_("surname"), max_length=100)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(fields=["pesel"], name="person_pesel_unique"),
            models.CheckConstraint(condition=Q(pesel__regex=r"^[0-9]{11}$"), name="person_pesel_11_digits"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.surname}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.surname}"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A login. Patients link to their Person; staff may have none."""

    email = models.EmailField(_("e-mail address"), unique=True)
    person = models.OneToOneField(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="user")
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # The language e-mails are written in: the one last chosen with the language switch.
    language = models.CharField(_("language"), max_length=8, default="pl")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email


class IdentityVerification(models.Model):
    """Proof that a login belongs to its Person, valid until `expires_at`."""

    class Method(models.TextChoices):
        TRUSTED_PROFILE = VerificationMethod.TRUSTED_PROFILE.value, _("trusted profile")
        BANK = VerificationMethod.BANK.value, _("bank login / mojeID")
        E_ID = VerificationMethod.E_ID.value, _("e-ID card")
        IN_PERSON = VerificationMethod.IN_PERSON.value, _("in person at an NFZ branch")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="verifications")
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    verified_at = models.DateTimeField(_("verified at"))
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("identity verification")
        verbose_name_plural = _("identity verifications")
        indexes = [models.Index(fields=["user", "-expires_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("verified_at")), name="verification_expires_after_verified"),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} ({self.verified_at:%Y-%m-%d})"


class ServiceNotice(models.Model):
    """A notice shown on the start and login pages while its window is open."""

    class Kind(models.TextChoices):
        MAINTENANCE = "maintenance", _("portal maintenance")
        TRUSTED_PROFILE_OUTAGE = "trusted_profile_outage", _("trusted profile outage")
        BANK_LOGIN_OUTAGE = "bank_login_outage", _("bank login outage")
        OTHER = "other", _("other")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    message_pl = models.TextField(_("message (Polish)"))
    message_en = models.TextField(_("message (English)"))
    starts_at = models.DateTimeField(_("shown from"))
    ends_at = models.DateTimeField(_("shown until"))

    class Meta:
        verbose_name = _("service notice")
        verbose_name_plural = _("service notices")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="notice_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%Y-%m-%d %H:%M}"

    def message(self, language: str) -> str:
        return self.message_en if language == "en" else self.message_pl
