from django.apps import AppConfig


class SickleavesConfig(AppConfig):
    name = "sickleaves"
