"""Staff roles are Django groups with these names (created by a data migration)."""

SUPPORT_GROUP = "support"  # ikp-pomoc desk
CLINIC_STAFF_GROUP = "clinic_staff"  # POZ clinic staff

MFA_REQUIRED_GROUPS = frozenset({SUPPORT_GROUP, CLINIC_STAFF_GROUP})


def requires_mfa(user) -> bool:
    """Staff, admins, support and clinic accounts must have a second factor."""
    if user.is_staff or user.is_superuser:
        return True
    if hasattr(user, "in_mfa_group"):  # loaded with the request's user (accounts/backends.py)
        return user.in_mfa_group
    return user.groups.filter(name__in=MFA_REQUIRED_GROUPS).exists()
