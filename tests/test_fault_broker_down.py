"""Issue #7, faults: the Celery broker (Redis) stopped while people book — the booking works,
the parent's e-mail is kept (ikp.tasks: a DeferredTask row) and is delivered once when the
broker is back; publishing it again sends nothing twice.

The broker here is a private redis-server (tests/test_fault_redis_down.py's PrivateRedis),
stopped and started again; the shared Redis stays up for every other test.
"""

import pytest
from django.urls import reverse

from conftest import make_clinic, make_slot
from ikp.celery import app
from ikp.models import DeferredTask
from ikp.tasks import republish_deferred
from tests.test_fault_redis_down import PrivateRedis
from vaccinations.models import Appointment
from vaccinations.tasks import send_appointment_mail

pytestmark = pytest.mark.django_db(transaction=True)


def _use_broker(url: str) -> None:
    app.conf.broker_url = url
    app._pool = None  # the connection and producer pools were made for the previous broker
    app.amqp._producer_pool = None


@pytest.fixture
def broker(tmp_path):
    previous = app.conf.broker_url
    server = PrivateRedis(tmp_path)
    server.start()
    _use_broker(server.url)
    yield server
    server.stop()
    _use_broker(previous)


def test_a_booking_made_while_the_broker_is_away_mails_the_parent_once_it_is_back(
    client, broker, parent, insured_child, mailoutbox
):
    slot = make_slot(make_clinic())
    client.force_login(parent)
    client.post(reverse("guardianship:switch_to", args=[insured_child.public_id]))
    page = client.get(reverse("vaccinations:book_confirm", args=[slot.public_id]))
    broker.stop()

    booked = client.post(reverse("vaccinations:book_confirm", args=[slot.public_id]),
                         {"request_token": page.context["request_token"]})  # fmt: skip

    assert booked.status_code == 302  # the booking stands: the mail waits
    appointment = Appointment.objects.get(child=insured_child, slot=slot)
    assert list(DeferredTask.objects.values_list("name", "args")) == [
        (send_appointment_mail.name, [appointment.pk, "booked"])
    ]
    assert republish_deferred() == 0  # still away: kept, not lost
    assert DeferredTask.objects.count() == 1

    broker.start()
    app.conf.task_always_eager = True  # the published task runs here, so its mail is visible
    try:
        assert republish_deferred() == 1
        assert republish_deferred() == 0
        send_appointment_mail.delay(appointment.pk, "booked")  # published twice by a crash: still one mail
    finally:
        app.conf.task_always_eager = False

    assert DeferredTask.objects.count() == 0
    assert [m.to for m in mailoutbox] == [[parent.email]]
    appointment.refresh_from_db()
    assert appointment.mails_sent == ["booked"]
