from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import IdentityVerification, Person, ServiceNotice, User
from accounts.rules import InvalidPesel, parse_pesel
from accounts.validation import pesel_error_message


class PersonAdminForm(forms.ModelForm):
    """Validates the PESEL and derives birth date and sex from it (normalisation only).

    Saving goes through the admin, whose request context pghistory records: every change to a
    person's data leaves an event naming the admin.
    """

    class Meta:
        model = Person
        fields = ["pesel", "first_name", "surname"]

    def clean_pesel(self) -> str:
        try:
            facts = parse_pesel(self.cleaned_data["pesel"], today=timezone.localdate())
        except InvalidPesel as error:
            raise forms.ValidationError(pesel_error_message(error.problem), code=error.problem.value) from None
        self.instance.birth_date = facts.birth_date
        self.instance.sex = facts.sex
        return facts.pesel


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    form = PersonAdminForm
    list_display = ["surname", "first_name", "birth_date", "sex", "public_id"]
    # No PESEL search: admin search is a GET and its query string would carry the PESEL into
    # access logs. Find people by name or opaque id; the support desk searches by PESEL by POST.
    search_fields = ["surname", "first_name", "=public_id"]
    list_filter = ["sex"]
    readonly_fields = ["public_id", "birth_date", "sex"]
    date_hierarchy = "birth_date"


class VerificationInline(admin.TabularInline):
    model = IdentityVerification
    extra = 0
    fields = ["method", "verified_at", "expires_at"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "person", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "person__surname"]
    raw_id_fields = ["person"]
    inlines = [VerificationInline]
    fieldsets = [
        (None, {"fields": ["email", "password", "person"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(IdentityVerification)
class IdentityVerificationAdmin(admin.ModelAdmin):
    list_display = ["user", "method", "verified_at", "expires_at"]
    list_filter = ["method"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
    date_hierarchy = "verified_at"


@admin.register(ServiceNotice)
class ServiceNoticeAdmin(admin.ModelAdmin):
    list_display = ["kind", "starts_at", "ends_at", "message_pl"]
    list_filter = ["kind"]
    date_hierarchy = "starts_at"
