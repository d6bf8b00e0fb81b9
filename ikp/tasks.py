"""Handing tasks to the broker so that an outage loses nothing.

Services call `enqueue_on_commit(task, *args)` instead of `task.delay_on_commit(*args)`: after
the commit the task is published at once; if the broker (Redis) cannot be reached, the request
does not fail (its work is committed) and a DeferredTask row keeps the task until
`republish_deferred` — a beat task, every minute — publishes it when the broker is back. Each
row is deleted in the transaction that published it; the tasks themselves are safe to run twice
(each marks what it sent), so a crash between publishing and deleting sends nothing twice.
"""

import logging
from functools import partial

from celery import current_app, shared_task
from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

log = logging.getLogger(__name__)

BROKER_AWAY = (OperationalError, RedisConnectionError, OSError)


def enqueue(task, *args) -> bool:
    """Publish now; False when the broker is away and the task was deferred."""
    from ikp.models import DeferredTask

    try:
        task.apply_async(args=args, retry=False)
        return True
    except BROKER_AWAY:
        DeferredTask.objects.create(name=task.name, args=list(args))
        log.warning("broker unreachable: task %s deferred", task.name)
        return False


def enqueue_on_commit(task, *args) -> None:
    transaction.on_commit(partial(enqueue, task, *args))


@shared_task
def republish_deferred(batch: int = 500) -> int:
    """Publish the tasks deferred while the broker was away; stop at the first failure."""
    from ikp.models import DeferredTask

    published = 0
    for pk in DeferredTask.objects.order_by("created_at", "pk").values_list("pk", flat=True)[:batch]:
        with transaction.atomic():
            row = DeferredTask.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if row is None:
                continue
            try:
                current_app.tasks[row.name].apply_async(args=row.args, retry=False)
            except BROKER_AWAY:
                return published
            row.delete()
            published += 1
    return published
