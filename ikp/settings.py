"""One settings module for every environment, read from the environment.

DJANGO_ENV selects the defaults:
- development (default, `make run`): DEBUG on, embedded PostgreSQL (DATABASE_URL given by
  the Makefile), local-memory cache, console e-mail, Celery tasks run eagerly in-process.
- test (`make test`): real PostgreSQL (DATABASE_URL) and Redis (REDIS_URL), locmem e-mail.
- production: everything from the environment; `manage.py check --deploy` is clean.
"""

from datetime import timedelta
from pathlib import Path

import pghistory
import pgtrigger
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from ikp.env import database_from_url, env_bool, env_int, env_list, env_str
from ikp.logfilters import install as install_pesel_redaction

BASE_DIR = Path(__file__).resolve().parent.parent

DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "test", "production"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"DJANGO_ENV must be development, test or production, not {DJANGO_ENV!r}.")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env_bool("DEBUG", DJANGO_ENV == "development")
SECRET_KEY = env_str("SECRET_KEY", None if PRODUCTION else "insecure-development-key-" + "x" * 40)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The development identity provider (pick a seeded person) exists only with DEBUG on.
DEV_IDENTITY_PROVIDER = DEBUG and not PRODUCTION

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "accounts",
    "guardianship",
    "vaccinations",
    "records",
    "sickleaves",
    "support",
    "feeds",
    "ikp",  # infrastructure rows: deferred tasks (ikp/tasks.py)
]

MIDDLEWARE = [
    "ikp.uploads.UnreadableUploadNamesMiddleware",  # before anything reads request.POST
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ikp.middleware.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ikp.middleware.AbsoluteSessionLimitMiddleware",
    "ikp.middleware.NoStoreForLoggedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.RequireMfaForStaffMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "ikp.urls"
WSGI_APPLICATION = "ikp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# The Makefile resolves DATABASE_URL (local server, or the embedded one under .data/).
DATABASES = {"default": database_from_url(env_str("DATABASE_URL", None if PRODUCTION else "postgresql://postgres@127.0.0.1:5432/ikp"))}
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if env_bool("DATABASE_POOL", PRODUCTION):
    # Django's own psycopg pool; CONN_MAX_AGE must stay 0 with it.
    DATABASES["default"]["OPTIONS"] = {"pool": {"min_size": 2, "max_size": env_int("DATABASE_POOL_MAX", 10), "timeout": 10}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Change history (django-pghistory) --------------------------------------------------------
# Statement-level triggers: one history INSERT … SELECT per statement from its transition table,
# and the context row touched once per statement. Row-level triggers cost ~50 µs a row in the
# feeds' set-based writes (a subtransaction and a context upsert per row); see bench/README.md.
PGHISTORY_LEVEL = pgtrigger.Statement
# History rows keep the ids a tracked row pointed at, unindexed: history is read by object
# (pgh_obj) or by context, and each extra index is paid by every bulk write.
PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(db_index=True)
PGHISTORY_CONTEXT_FIELD = pghistory.ContextForeignKey(db_index=True)
# The request context (user, path) is attached to the queries of requests that change things.
# GET requests change no tracked row (except the first OIDC login's callback creating a Person,
# whose history then carries no request context), and the attaching costs every GET's queries.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# --- Cache, sessions ---------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", None if PRODUCTION else "" if DJANGO_ENV == "development" else "redis://127.0.0.1:6379/0")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "ikp.cache.ResilientRedisCache",  # a Redis outage is a cache miss
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "ikp"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions live in the database with a cache in front: Redis keeps nothing on disk here, and a
# Redis restart must not log millions of people out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = 15 * 60  # 15 minutes idle...
SESSION_SAVE_EVERY_REQUEST = False  # ...sliding: ikp.middleware.SessionRefreshMiddleware saves
SESSION_REFRESH_INTERVAL = timedelta(minutes=1)  # an unchanged session at most once a minute
SESSION_ABSOLUTE_LIMIT = timedelta(hours=12)  # and never longer than 12 hours from login
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True

# --- Auth (django-allauth) ---------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Django's and allauth's, loading each request's user in one query (accounts/backends.py).
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "start"
ACCOUNT_LOGOUT_REDIRECT_URL = "start"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
# The login and reset forms never send a PESEL typed as the e-mail back to the page.
ACCOUNT_FORMS = {"login": "accounts.forms_login.PortalLoginForm", "reset_password": "accounts.forms_login.PortalResetPasswordForm"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"  # accounts are created verified, at the counter or by the login node
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "change_password": "5/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "IKP"
MFA_RECOVERY_CODE_COUNT = 10
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_ONLY = False

# The production OpenID Connect provider: a gateway in front of the national login node
# (trusted profile, bank login, e-ID). Configured entirely from the environment.
OIDC_SERVER_URL = env_str("OIDC_SERVER_URL", "")
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": (
            [
                {
                    "provider_id": env_str("OIDC_PROVIDER_ID", "wezel"),
                    "name": env_str("OIDC_PROVIDER_NAME", "login.gov.pl"),
                    "client_id": env_str("OIDC_CLIENT_ID"),
                    "secret": env_str("OIDC_CLIENT_SECRET"),
                    "settings": {
                        "server_url": OIDC_SERVER_URL,
                        "token_auth_method": "client_secret_post",
                        "scope": ["openid", "profile", "email", "pesel"],
                    },
                }
            ]
            if OIDC_SERVER_URL
            else []
        ),
    }
}

# --- Internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Warsaw"
USE_TZ = True

# --- Static files ------------------------------------------------------------------------------
STATIC_URL = "/static/"
# Production serves collected files (collectstatic at image build); elsewhere WhiteNoise serves
# straight from the app and project folders, so nothing is built for tests or `make run`.
STATIC_ROOT = BASE_DIR / ".staticfiles" if PRODUCTION else None
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / ".data" / "media")))

# --- Security headers ----------------------------------------------------------------------------
# CSP through Django's own middleware. No inline script anywhere: scripts are static files.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
# Logging in through the OpenID Connect provider starts with a POST that redirects to it;
# browsers check form-action on that redirect, so its origin (and any further origins the
# gateway sends the browser on to, OIDC_FORM_ACTION_ORIGINS) must be allowed.
if OIDC_SERVER_URL:
    from urllib.parse import urlsplit as _urlsplit

    _oidc = _urlsplit(OIDC_SERVER_URL)
    SECURE_CSP["form-action"] += [f"{_oidc.scheme}://{_oidc.netloc}", *env_list("OIDC_FORM_ACTION_ORIGINS", [])]
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 63072000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True

# --- E-mail ---------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "IKP <no-reply@ikp.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_EMAIL_URL = env_str("EMAIL_URL", None if PRODUCTION else "")
if _EMAIL_URL:
    from urllib.parse import unquote, urlsplit

    _mail = urlsplit(_EMAIL_URL)
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _mail.hostname,
                "port": _mail.port or 587,
                "username": unquote(_mail.username or ""),
                "password": unquote(_mail.password or ""),
                "use_tls": _mail.scheme == "smtp+tls",
                "use_ssl": _mail.scheme == "smtps",
                "timeout": 10,
            },
        }
    }
elif DJANGO_ENV == "development":
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

# --- Celery ---------------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", DJANGO_ENV == "development")
CELERY_TASK_EAGER_PROPAGATES = True
INBOX_DIR = Path(env_str("INBOX_DIR", str(BASE_DIR / ".data" / "inbox")))

# --- ikp-pomoc ------------------------------------------------------------------------------------
# The desk's address: replies to ticket e-mails come back here and are dropped as .eml files
# into SUPPORT_MAIL_INBOX (support.tasks.poll_mail_inbox).
SUPPORT_MAIL_ADDRESS = env_str("SUPPORT_MAIL_ADDRESS", "ikp-pomoc@ikp.example")
SUPPORT_MAIL_INBOX = Path(env_str("SUPPORT_MAIL_INBOX", str(INBOX_DIR / "mail")))
SUPPORT_MAIL_MAX_BYTES = 15 * 1024 * 1024  # a whole inbound message, attachments included
SUPPORT_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024  # one attachment
SUPPORT_ATTACHMENTS_PER_MESSAGE = 5

# --- Logging: no personal data; request paths carry only opaque ids --------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Template debug lines print whole contexts: not even redacted ones are wanted.
    "loggers": {"django.template": {"level": "INFO"}},
}
install_pesel_redaction()  # every log record is redacted at creation (ikp/logfilters.py)
# Error pages and error e-mails show no POST value and no local variable (ikp/reporting.py).
DEFAULT_EXCEPTION_REPORTER_FILTER = "ikp.reporting.NoPersonalDataReporterFilter"

SILENCED_SYSTEM_CHECKS: list[str] = []
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# Absolute links in e-mails.
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000")
