"""Settings of the test identity provider: a minimal allauth project with `allauth.idp.oidc`.

Everything that varies per test session comes from the environment, set by
`tests/oidc_idp/fixtures.py`:

- IDP_DB_NAME, IDP_DB_HOST, IDP_DB_PORT, IDP_DB_USER, IDP_DB_PASSWORD: its own PostgreSQL database
- IDP_OIDC_PRIVATE_KEY: PEM of the RSA key that signs ID tokens (generated per session)
- IDP_USERS: JSON list of people who can log in here, with their claims (see adapter.py)
- IDP_CLIENT: JSON object describing the one relying party (the portal)
"""

import json
import os

SECRET_KEY = os.environ.get("IDP_SECRET_KEY", "test-oidc-idp-not-secret-" + "x" * 40)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "allauth",
    "allauth.account",
    "allauth.idp.oidc",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "tests.oidc_idp.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("IDP_DB_NAME", "ikp_test_oidc_idp"),
        "HOST": os.environ.get("IDP_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("IDP_DB_PORT", "5432"),
        "USER": os.environ.get("IDP_DB_USER", "postgres"),
        "PASSWORD": os.environ.get("IDP_DB_PASSWORD", ""),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
USE_TZ = True
TIME_ZONE = "UTC"

# The portal under test may run on the same host name: keep this provider's cookies apart.
SESSION_COOKIE_NAME = "test_idp_sessionid"
CSRF_COOKIE_NAME = "test_idp_csrftoken"

# A test provider: fast hashing (user passwords and the client secret are both hashed).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
LOGIN_URL = "/accounts/login/"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_RATE_LIMITS = False

IDP_OIDC_PRIVATE_KEY = os.environ.get("IDP_OIDC_PRIVATE_KEY", "")
IDP_OIDC_ADAPTER = "tests.oidc_idp.adapter.TestIdPAdapter"

# username -> the identity the national login node would assert for that person.
IDP_USERS = json.loads(os.environ.get("IDP_USERS", "[]"))
IDP_CLIENT = json.loads(os.environ.get("IDP_CLIENT", "{}"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
