"""Infrastructure rows (nothing domain-specific): tasks whose publishing failed."""

from django.db import models


class DeferredTask(models.Model):
    """A Celery task that could not be handed to the broker (Redis away). The beat task
    `ikp.tasks.republish_deferred` publishes it once the broker is back, then deletes the row."""

    name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return self.name
