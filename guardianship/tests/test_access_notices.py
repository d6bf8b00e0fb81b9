"""Access e-mails: gained, lost (with the reason in the parent's own terms), ending, turning 18.

Notices are queued by the real sync (conftest.insure / the zus-insurance feed /
guardianship_daily) and sent by services.access_notices_send, in the recipient's language.
"""

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from accounts.rules import add_months, build_pesel, date_of_age
from conftest import deregister, give_own_title, insure, make_grant, make_person
from feeds.runner import ingest_file
from guardianship import services, sync
from guardianship.models import AccessNotice
from guardianship.rules import turning_adult_notice_on

pytestmark = pytest.mark.django_db


def shown(day: date, language: str = "en") -> str:
    """A date as the e-mails write it in `language`."""
    with translation.override(language):
        return date_format(day, "DATE_FORMAT")


def english(*users) -> None:
    for user in users:
        user.language = "en"
        user.save(update_fields=["language"])


def mail_to(outbox, user):
    found = [message for message in outbox if message.to == [user.email]]
    assert len(found) == 1, [m.subject for m in outbox]
    return found[0]


def flush(outbox) -> None:
    """Send what is queued so far and forget it: the next assertions see only new mail."""
    services.access_notices_send()
    outbox.clear()


def registration_line(insured, member_pesel: str, *, valid_from: date, reported_on: date, event_id: str) -> str:
    return json.dumps({
        "event_id": event_id, "type": "family_member_registered",
        "insured_pesel": insured.pesel, "insured_first_name": insured.first_name, "insured_surname": insured.surname,
        "member_pesel": member_pesel, "member_first_name": "Staś", "member_surname": "Kowalski",
        "valid_from": valid_from.isoformat(), "reported_on": reported_on.isoformat(),
    })  # fmt: skip


# --- gained ------------------------------------------------------------------------------------


def test_it_tells_a_parent_who_gains_access_on_ingest_of_a_registration(parent, tmp_path, mailoutbox):
    english(parent)
    today = timezone.localdate()
    born = add_months(today, -30)
    feed = tmp_path / "zus.jsonl"
    feed.write_text(registration_line(parent.person, build_pesel(born, sex="M", serial=901), valid_from=born,
                                      reported_on=today, event_id="zus-gain-1") + "\n")

    ingest_file("zus-insurance", feed)

    notice = AccessNotice.objects.get(recipient=parent.person)
    assert (notice.kind, notice.effective_on, notice.sent_at) == ("gained", today, None)
    assert services.access_notices_send() == 1
    message = mail_to(mailoutbox, parent)
    assert message.subject == "You now have access to the IKP account of Staś Kowalski"
    assert "Staś Kowalski" in message.body
    assert f"Since {shown(today)} you have access" in message.body
    assert "because your ZUS insurance covers the child" in message.body
    notice.refresh_from_db()
    assert notice.outcome == "sent" and notice.sent_at is not None


def test_the_gained_mail_links_to_the_portals_childrens_accounts(parent, child, mailoutbox, settings):
    settings.PORTAL_BASE_URL = "https://ikp.example/"
    english(parent)
    insure(parent.person, child)

    services.access_notices_send()

    assert "https://ikp.example/uprawnienia/dzieci/\n" in mail_to(mailoutbox, parent).body


def test_it_sends_nothing_twice(parent, child, mailoutbox):
    insure(parent.person, child)

    assert services.access_notices_send() == 1
    assert services.access_notices_send() == 0
    assert len(mailoutbox) == 1


# --- lost --------------------------------------------------------------------------------------


def test_when_the_other_parent_covers_the_child_later_the_first_loses_and_the_second_gains(
    parent, other_parent, insured_child, mailoutbox
):
    english(parent, other_parent)
    flush(mailoutbox)
    today = timezone.localdate()

    insure(other_parent.person, insured_child, valid_from=today)
    assert services.access_notices_send() == 2

    lost = mail_to(mailoutbox, parent)
    assert lost.subject == "You no longer have access to the IKP account of Zosia Kowalska"
    assert f"Since {shown(today)} your ZUS insurance no longer gives you access" in lost.body
    assert "Your registration of the child for insurance is active, but at the moment it does not give you access" in lost.body
    assert "the other parent now covers the child" in lost.body and "their own insurance title" in lost.body
    assert "Lista opiekunów" in lost.body and "NFZ regional branch" in lost.body
    assert "/pomoc/dostep-do-konta-dziecka/" in lost.body
    assert "Piotr" not in lost.body and other_parent.person.pesel not in lost.body
    gained = mail_to(mailoutbox, other_parent)
    assert gained.subject == "You now have access to the IKP account of Zosia Kowalska"
    assert f"Since {shown(today)} you have access" in gained.body


def test_the_lost_mail_reads_the_same_when_the_child_gets_an_own_title(parent, insured_child, mailoutbox):
    english(parent)
    flush(mailoutbox)

    give_own_title(insured_child, title="family_pension", valid_from=timezone.localdate())
    services.access_notices_send()

    body = mail_to(mailoutbox, parent).body
    assert "Your registration of the child for insurance is active, but at the moment it does not give you access" in body
    assert "We cannot tell you which of these applies" in body


def test_the_lost_mail_says_when_the_parents_registration_ended(parent, insured_child, mailoutbox):
    english(parent)
    flush(mailoutbox)
    yesterday = timezone.localdate() - timedelta(days=1)

    deregister(parent.person, insured_child, valid_to=yesterday, reported_on=timezone.localdate())
    services.access_notices_send()

    body = mail_to(mailoutbox, parent).body
    assert f"Your registration of the child for insurance ended on {shown(yesterday)}." in body
    assert "your new employer must register the child with ZUS" in body


# --- ending and turning 18 ---------------------------------------------------------------------


def test_a_deregistration_dated_ahead_warns_that_access_ends(parent, insured_child, mailoutbox):
    english(parent)
    flush(mailoutbox)
    last_day = timezone.localdate() + timedelta(days=20)

    deregister(parent.person, insured_child, valid_to=last_day, reported_on=timezone.localdate())

    assert AccessNotice.objects.filter(recipient=parent.person, kind="ending", effective_on=last_day).exists()
    assert services.access_notices_send() == 1
    message = mail_to(mailoutbox, parent)
    assert message.subject == f"Your access to the IKP account of Zosia Kowalska ends after {shown(last_day)}"
    assert f"Your registration of Zosia Kowalska for insurance ends on {shown(last_day)}." in message.body
    assert "unless the child is registered for insurance again" in message.body
    assert "Lista opiekunów" in message.body and "/pomoc/dostep-do-konta-dziecka/" in message.body


def test_a_month_before_the_18th_birthday_guardians_and_grant_holders_are_told(parent, granted_guardian, mailoutbox):
    english(parent, granted_guardian)
    day = timezone.localdate().replace(day=15)
    birthday = add_months(day, 1)
    teen = make_person(born=birthday.replace(year=birthday.year - 18), first_name="Ola", surname="Kowalska")
    assert turning_adult_notice_on(teen.birth_date) == day
    insure(parent.person, teen)
    make_grant(teen, granted_guardian.person, by=parent)
    flush(mailoutbox)

    sync.guardianship_daily(today=day)

    assert services.access_notices_send() == 2
    assert date_of_age(teen.birth_date, 18) == birthday
    for user in (parent, granted_guardian):
        message = mail_to(mailoutbox, user)
        assert message.subject == f"Ola Kowalska turns 18 on {shown(birthday)}: your access to the IKP account ends"
        assert f"Ola Kowalska turns 18 on {shown(birthday)}. From that day parents and guardians no longer see" in message.body
        assert "under Authorisations (Upoważnienia)" in message.body


def test_the_daily_run_a_day_earlier_tells_nobody(parent, mailoutbox):
    day = timezone.localdate().replace(day=15)
    birthday = add_months(day, 1)
    teen = make_person(born=birthday.replace(year=birthday.year - 18), first_name="Ola", surname="Kowalska")
    insure(parent.person, teen)
    flush(mailoutbox)

    sync.guardianship_daily(today=day - timedelta(days=1))

    assert not AccessNotice.objects.filter(kind="turning_adult").exists()
    assert services.access_notices_send() == 0


def test_a_recipient_without_a_login_gets_no_mail_and_is_marked(parent, mailoutbox):
    day = timezone.localdate().replace(day=15)
    birthday = add_months(day, 1)
    teen = make_person(born=birthday.replace(year=birthday.year - 18), first_name="Ola", surname="Kowalska")
    grandmother = make_person(born=date(1950, 4, 4), first_name="Irena", surname="Kowalska")
    insure(parent.person, teen)
    make_grant(teen, grandmother, by=parent)
    flush(mailoutbox)

    sync.guardianship_daily(today=day)
    services.access_notices_send()

    assert len(mailoutbox) == 1 and mailoutbox[0].to == [parent.email]
    notice = AccessNotice.objects.get(recipient=grandmother, kind="turning_adult")
    assert notice.outcome == "no_login" and notice.sent_at is not None


# --- language ------------------------------------------------------------------------------------


def test_a_user_who_chose_english_gets_english_and_one_who_chose_polish_gets_polish(parent, other_parent, child, mailoutbox):
    english(other_parent)
    parent.language = "pl"
    parent.save(update_fields=["language"])
    second = make_person(born=child.birth_date, first_name="Jaś", surname="Kowalski", sex="M")
    today = timezone.localdate()

    insure(parent.person, child)
    insure(other_parent.person, second)
    services.access_notices_send()

    polish = mail_to(mailoutbox, parent)
    assert "Zosia Kowalska" in polish.subject and "Zosia Kowalska" in polish.body
    assert shown(today, "pl") in polish.body
    english_mail = mail_to(mailoutbox, other_parent)
    assert english_mail.subject == "You now have access to the IKP account of Jaś Kowalski"
    assert f"Since {shown(today)} you have access" in english_mail.body


def test_a_recipients_own_language_wins_over_the_active_one(parent, child, mailoutbox):
    english(parent)
    insure(parent.person, child)

    with translation.override("pl"):
        services.access_notices_send()

    assert mail_to(mailoutbox, parent).subject.startswith("You now have access")


def test_names_are_not_html_escaped_in_plain_text_mail(parent, mailoutbox):
    english(parent)
    kid = make_person(born=add_months(timezone.localdate(), -60), first_name="Zoë", surname="O'Brien")

    insure(parent.person, kid)
    services.access_notices_send()

    message = mail_to(mailoutbox, parent)
    assert "Zoë O'Brien" in message.subject and "Zoë O'Brien" in message.body
    assert "&#x27;" not in message.body


# --- dispatch ------------------------------------------------------------------------------------


def test_an_ingest_sends_the_notices_only_after_commit(
    parent, tmp_path, celery_eager, mailoutbox, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    feed = tmp_path / "zus.jsonl"
    feed.write_text(registration_line(parent.person, build_pesel(add_months(today, -40), sex="M", serial=902),
                                      valid_from=today, reported_on=today, event_id="zus-dispatch-1") + "\n")

    with django_capture_on_commit_callbacks() as callbacks:
        ingest_file("zus-insurance", feed)
    assert not mailoutbox  # nothing leaves before the transaction commits
    assert AccessNotice.objects.filter(recipient=parent.person, kind="gained", sent_at__isnull=True).exists()

    for callback in callbacks:
        callback()  # the task is published (here: run eagerly) after the commit
    assert [m.to for m in mailoutbox] == [[parent.email]]
    assert AccessNotice.objects.filter(recipient=parent.person, kind="gained", sent_at__isnull=False).exists()


# --- only people with access are told ----------------------------------------------------------


def turning_18_next_month(day: date):
    birthday = add_months(day, 1)
    return make_person(born=birthday.replace(year=birthday.year - 18), first_name="Ola", surname="Kowalska")


def report_not_my_child(user, child) -> None:
    from guardianship import policy

    services.not_my_child_report(user=user, subject_access=policy.SubjectAccess(child, policy.access_for(user, child)))
    assert not policy.access_for(user, child).can_read


def test_a_grant_whose_surname_names_someone_else_tells_that_person_nothing(parent, mailoutbox):
    """A grant typed for a PESEL whose owner has another surname gives no access (policy), so
    its PESEL's owner must not learn the child's name and birthday from the 18th-birthday mail."""
    from conftest import make_user
    from guardianship import policy
    from guardianship.models import AccessGrant

    day = timezone.localdate().replace(day=15)
    teen = turning_18_next_month(day)
    insure(parent.person, teen)
    stranger = make_user(person=make_person(born=date(1970, 1, 1), first_name="Ewa", surname="Wiśniewska"))
    AccessGrant.objects.create(
        kind="child", source="guardian", subject=teen, grantee_pesel=stranger.person.pesel,
        grantee_surname="Kowalska", legal_guardian_confirmed=True, granted_by=parent, valid_until=date(2099, 1, 1),
    )  # fmt: skip
    assert not policy.access_for(stranger, teen, on=day).can_read
    flush(mailoutbox)

    sync.guardianship_daily(today=day)
    services.access_notices_send()

    assert not AccessNotice.objects.filter(recipient=stranger.person).exists()
    assert [m.to for m in mailoutbox] == [[parent.email]]  # the insuring parent is still told


def test_a_grant_whose_surname_differs_only_in_case_and_spaces_is_told(parent, granted_guardian, mailoutbox):
    day = timezone.localdate().replace(day=15)
    teen = turning_18_next_month(day)
    insure(parent.person, teen)
    grant = make_grant(teen, granted_guardian.person, by=parent)
    grant.grantee_surname = f"  {granted_guardian.person.surname.upper()} "
    grant.save(update_fields=["grantee_surname"])
    flush(mailoutbox)

    sync.guardianship_daily(today=day)

    assert AccessNotice.objects.filter(recipient=granted_guardian.person, kind="turning_adult").exists()


def test_a_parent_who_said_not_my_child_is_not_told_of_that_childs_18th_birthday(parent, mailoutbox):
    day = timezone.localdate().replace(day=15)
    teen = turning_18_next_month(day)
    insure(parent.person, teen)
    report_not_my_child(parent, teen)
    flush(mailoutbox)

    sync.guardianship_daily(today=day)
    services.access_notices_send()

    assert not AccessNotice.objects.filter(recipient=parent.person, subject=teen, kind="turning_adult").exists()
    assert [m.to for m in mailoutbox] == []


def test_a_suspended_link_gets_no_ending_or_lost_notice_when_zus_corrects_it(parent, insured_child, mailoutbox):
    """ZUS correcting the registration the parent reported (a deregistration, dated ahead or
    today) changes nothing the parent could see: no 'ending' and no 'lost' notice about the child."""
    report_not_my_child(parent, insured_child)
    flush(mailoutbox)

    deregister(parent.person, insured_child, valid_to=timezone.localdate() + timedelta(days=20),
               reported_on=timezone.localdate())  # fmt: skip
    deregister(parent.person, insured_child, valid_to=timezone.localdate() - timedelta(days=1))
    services.access_notices_send()

    assert not AccessNotice.objects.filter(recipient=parent.person, subject=insured_child).exclude(
        kind="gained"  # from the registration, before the report
    ).exists()
    assert mailoutbox == []
