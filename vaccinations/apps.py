from django.apps import AppConfig


class VaccinationsConfig(AppConfig):
    name = "vaccinations"

    def ready(self) -> None:
        from vaccinations import catalogue  # noqa: F401 - connects the cache's signal receivers
