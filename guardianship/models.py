"""Insurance facts from ZUS, what follows from them, grants, and the access log.

`InsuranceEvent` rows are the feed as received (the source of truth). `Coverage` and `OwnTitle`
are derived from the events by guardianship/sync.py and rebuilt only for the people an ingest
touches; `AutomaticGuardian` remembers who had automatic access at the last recompute so that
gains and losses can be announced. Access itself is always decided live by
guardianship/policy.py from coverages, titles and grants on the day of the request.
"""

import uuid

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Person


class EventType(models.TextChoices):
    REGISTERED = "family_member_registered", _("family member registered")
    DEREGISTERED = "family_member_deregistered", _("family member deregistered")
    OWN_TITLE_STARTED = "own_title_started", _("own insurance title started")
    OWN_TITLE_ENDED = "own_title_ended", _("own insurance title ended")
    CANCELLED = "event_cancelled", _("event cancelled")


class OwnTitleKind(models.TextChoices):
    APPRENTICESHIP = "apprenticeship", _("apprenticeship")
    JUVENILE_EMPLOYMENT = "juvenile_employment", _("juvenile employment")
    NURSING_ALLOWANCE = "nursing_allowance", _("nursing allowance")
    FAMILY_PENSION = "family_pension", _("family pension")


class InsuranceEvent(models.Model):
    """One line of the `zus-insurance` feed, stored once by `event_id`.

    Identifier columns here, in Coverage, OwnTitle, AccessGrant and Person.pesel use the "C"
    collation: the feeds' joins and unique indexes compare them byte-wise, ~30% cheaper per
    index entry than the database's C.UTF-8 (bench/README.md). Raw SQL joining them to a
    temporary table declares that table's columns COLLATE "C" too.

    `person_pesel` is the family member (registrations) or the title holder (own titles).
    PESELs, not foreign keys: a deregistration or a title may arrive before anyone has told us
    the person's name. `applied_at` is empty while the event waits to be applied.
    """

    event_id = models.CharField(max_length=100, db_collation="C")  # unique: see Meta (no `_like` index)
    type = models.CharField(max_length=32, choices=EventType.choices)
    insured_pesel = models.CharField(max_length=11, blank=True, db_collation="C")
    person_pesel = models.CharField(max_length=11, blank=True, db_collation="C")
    title = models.CharField(max_length=32, choices=OwnTitleKind.choices, blank=True, db_collation="C")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    reported_on = models.DateField()
    cancels_event_id = models.CharField(max_length=100, blank=True, db_collation="C")
    # No index and no constraint: it only records where an event came from, and the feed inserts
    # millions of rows (each FK check costs at commit).
    feed_file = models.ForeignKey(
        "feeds.FeedFile",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,  # no constraint: nothing to cascade; files are never deleted
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    line_number = models.PositiveIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("insurance event")
        verbose_name_plural = _("insurance events")
        # A UniqueConstraint rather than unique=True: the latter adds a second (LIKE) index on
        # the column that no query uses and every feed row pays for.
        constraints = [models.UniqueConstraint(fields=["event_id"], name="insevent_event_id_unique")]
        indexes = [
            models.Index(fields=["person_pesel", "insured_pesel"], name="insevent_pair"),
            models.Index(
                fields=["cancels_event_id"],
                name="insevent_cancels",
                condition=~Q(cancels_event_id=""),
            ),
            models.Index(
                fields=["reported_on"],
                name="insevent_pending",
                condition=Q(applied_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.event_id


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Coverage(models.Model):
    """A family-member coverage derived from one registration (and the deregistration ending it)."""

    registration_event_id = models.CharField(max_length=100, db_collation="C")  # unique: see Meta
    # Written only by guardianship/sync.py from a join on accounts_person, so the references
    # hold by construction and are not re-checked by the database: a first load derives
    # hundreds of thousands of coverages, and the deferred checks cost ~10 µs each at commit.
    # Django's PROTECT still stops deleting a person who has coverages.
    insured = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="coverages_given", db_constraint=False
    )
    # Indexed by (member, insured) below; a separate member index would only slow the feed.
    member = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="coverages", db_index=False, db_constraint=False
    )
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)  # last day covered; empty: open
    reported_on = models.DateField()

    class Meta:
        verbose_name = _("family-member coverage")
        verbose_name_plural = _("family-member coverages")
        constraints = [
            models.UniqueConstraint(fields=["registration_event_id"], name="coverage_registration_unique")
        ]
        indexes = [models.Index(fields=["member", "insured"])]  # `insured` has its FK index


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class OwnTitle(models.Model):
    """A child's own insurance title (apprenticeship, juvenile job, nursing allowance, pension)."""

    start_event_id = models.CharField(max_length=100, db_collation="C")  # unique: see Meta
    pesel = models.CharField(max_length=11, db_index=True, db_collation="C")
    title = models.CharField(max_length=32, choices=OwnTitleKind.choices, db_collation="C")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("own insurance title")
        verbose_name_plural = _("own insurance titles")
        constraints = [models.UniqueConstraint(fields=["start_event_id"], name="owntitle_start_unique")]


class AutomaticGuardian(models.Model):
    """Who had automatic (insurance) access to a child at the last recompute; for notices.

    Derived rows, written only by guardianship/sync.py from a join on accounts_person, so the
    foreign keys are not checked by the database (a first load writes one row per child and
    the deferred checks cost seconds at commit); Django still cascades a deleted Person.
    """

    subject = models.OneToOneField(
        Person, primary_key=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    guardian = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    computed_on = models.DateField()


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class AccessGrant(models.Model):
    """Access given to a person by surname and PESEL.

    CHILD: a guardian of the child (or support, after checking documents) names another legal
    guardian; ends on the child's 18th birthday. AUTHORISATION: an adult lets someone see their
    own data. The grantee is identified by PESEL: a person who has no login yet gets the access
    when they first log in and their verified surname matches what the granter typed.
    """

    class Kind(models.TextChoices):
        CHILD = "child", _("child's guardian")
        AUTHORISATION = "authorisation", _("authorisation")

    class Source(models.TextChoices):
        GUARDIAN = "guardian", _("added by a guardian")
        PATIENT = "patient", _("added by the patient")
        SUPPORT = "support", _("added by support after checking documents")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source = models.CharField(max_length=16, choices=Source.choices)
    subject = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="grants_given")
    grantee_pesel = models.CharField(max_length=11, db_collation="C")
    grantee_surname = models.CharField(max_length=100)
    legal_guardian_confirmed = models.BooleanField(default=False)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    valid_until = models.DateField(null=True, blank=True)  # first day without access
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        indexes = [models.Index(fields=["grantee_pesel"]), models.Index(fields=["subject", "kind"])]
        constraints = [
            # One live grant per subject, grantee and kind: adding twice says "already has access".
            models.UniqueConstraint(
                fields=["subject", "grantee_pesel", "kind"],
                condition=Q(revoked_at__isnull=True),
                name="one_live_grant",
            ),
            models.CheckConstraint(
                condition=~Q(kind="child") | Q(legal_guardian_confirmed=True) | Q(source="support"),
                name="child_grant_confirms_legal_guardian",
            ),
        ]


class LinkSuspension(models.Model):
    """ "This is not my child": the reporting person's insurance link to the child is suspended."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ticket = models.ForeignKey(
        "support.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    # Support confirmed the report (the registration was made under a wrong PESEL): the link
    # stays ended, and the correction to request from ZUS is recorded (support.ZusCorrection).
    final = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "subject"],
                condition=Q(lifted_at__isnull=True),
                name="one_live_suspension",
            ),
        ]


class AccessLogEntry(models.Model):
    """One read or change of a subject's data: who, for whose account, whose data, what, when."""

    class Action(models.TextChoices):
        SWITCH_ACCOUNT = "switch_account", _("opened the account")
        VIEW_SUMMARY = "view_summary", _("viewed the account summary")
        VIEW_GUARDIANS = "view_guardians", _("viewed the guardian list")
        GRANT_ADDED = "grant_added", _("added a guardian")
        GRANT_REVOKED = "grant_revoked", _("revoked a guardian's access")
        AUTHORISATION_ADDED = "authorisation_added", _("added an authorisation")
        AUTHORISATION_REVOKED = "authorisation_revoked", _("revoked an authorisation")
        VIEW_ACCESS_LOG = "view_access_log", _("viewed the access history")
        DIAGNOSIS = "diagnosis", _("checked access to the child's account")
        NOT_MY_CHILD = "not_my_child", _("reported: not my child")
        VIEW_DOCUMENTS = "view_documents", _("viewed documents")
        VIEW_DOCUMENT = "view_document", _("viewed a document")
        DOWNLOAD_DOCUMENT = "download_document", _("downloaded a document")
        VIEW_SICK_LEAVES = "view_sick_leaves", _("viewed sick leaves")
        VIEW_VACCINATIONS = "view_vaccinations", _("viewed vaccinations")
        BOOK_VACCINATION = "book_vaccination", _("booked a vaccination")
        CANCEL_VACCINATION = "cancel_vaccination", _("cancelled a vaccination")
        CLINIC_VIEW_VISITS = "clinic_view_visits", _("clinic: viewed an open vaccination visit")
        CLINIC_RECORD_DOSE = "clinic_record_dose", _("clinic: recorded a vaccine dose")
        CLINIC_CLOSE_VISIT = "clinic_close_visit", _("clinic: closed a vaccination visit")
        SUPPORT_ACTION = "support_action", _("support staff action")
        VIEW_TICKET = "view_ticket", _("viewed an ikp-pomoc request")
        SUPPORT_VIEW_PERSON = "support_view_person", _("ikp-pomoc: read the data to handle a request")
        SUPPORT_RESYNC = "support_resync", _("ikp-pomoc: re-ran the insurance sync")
        SUPPORT_GRANT = "support_grant", _("ikp-pomoc: added a guardian after checking documents")
        SUPPORT_NOT_MY_CHILD = "support_not_my_child", _("ikp-pomoc: handled a 'not my child' report")
        SUPPORT_SEARCH = "support_search", _("ikp-pomoc: searched requests by PESEL")
        SUPPORT_VIEW_FEED_LINE = (
            "support_view_feed_line",
            _("ikp-pomoc: read data received from another system to correct it"),
        )

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    acting_for = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="access_log")
    action = models.CharField(max_length=32, choices=Action.choices)
    basis = models.CharField(max_length=16, blank=True)  # rules.Basis, or "support"
    target = models.CharField(max_length=64, blank=True)  # an opaque id of what was read

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log entries")
        indexes = [models.Index(fields=["subject", "-at"])]


class AccessNotice(models.Model):
    """An e-mail owed to a person about their access to a child; sent by a Celery task."""

    class Kind(models.TextChoices):
        GAINED = "gained", _("access gained")
        LOST = "lost", _("access lost")
        ENDING = "ending", _("access ends soon")
        TURNING_ADULT = "turning_adult", _("the child turns 18 in a month")

    # Not checked by the database, as AutomaticGuardian's: written set-based by the sync from
    # a join on accounts_person.
    # Indexed as the first column of one_notice_per_change.
    recipient = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    subject = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    effective_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, blank=True)  # "sent" or "no_login"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "subject", "kind", "effective_on"],
                name="one_notice_per_change",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"], name="accessnotice_unsent", condition=Q(sent_at__isnull=True)
            )
        ]
