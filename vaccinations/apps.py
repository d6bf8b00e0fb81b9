from django.apps import AppConfig


class VaccinationsConfig(AppConfig):
    name = "vaccinations"
