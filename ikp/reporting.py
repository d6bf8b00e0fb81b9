"""Error reports carry no personal data.

Django's error reports (the technical 500 page when DEBUG is on, the e-mails it sends to ADMINS
when they are configured) print every POST value and every local variable of every frame: a
typed PESEL, a ticket's description, a person loaded by the view. Here all of them are shown as
stars, always (not only in production): a traceback names the line that failed, which is what
is needed to fix it. Settings and cookies are hidden by Django's own rules.
"""

from django.views.debug import SafeExceptionReporterFilter


class NoPersonalDataReporterFilter(SafeExceptionReporterFilter):
    def is_active(self, request) -> bool:
        return True

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return {name: self.cleansed_substitute for name in request.POST}

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
