"""Settings, read from the environment.

Environment variables: DATABASE_URL, SECRET_KEY, ALLOWED_HOSTS, DEBUG, TONGXIN_DATA_DIR,
TONGXIN_FIELD_KEY, TONGXIN_REQUIRE_ADMIN_2FA and the TONGXIN_* thresholds below.
"""

import os
import secrets
import sys
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DEBUG = env_bool("DEBUG", False)
DATA_DIR = Path(os.environ.get("TONGXIN_DATA_DIR", PROJECT_DIR / "data"))


def _installation_secret() -> str:
    """SECRET_KEY from the environment, else a random key generated once per installation
    and kept in DATA_DIR/secret_key (mode 0600)."""
    path = DATA_DIR / "secret_key"
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = secrets.token_urlsafe(50)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


SECRET_KEY = os.environ.get("SECRET_KEY") or _installation_secret()

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "tongxin.core",
    "tongxin.accounts",
    "tongxin.orgs",
    "tongxin.members",
    "tongxin.development",
    "tongxin.demands",
    "leaflet",  # django-leaflet: Leaflet served from static for the grid map
    "tongxin.grid",
    "tongxin.meetings",
    "tongxin.education",
    "tongxin.assessment",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tongxin.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tongxin.accounts.middleware.IdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "tongxin.urls"
WSGI_APPLICATION = "tongxin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "tongxin.accounts.context_processors.navigation",
                "tongxin.core.context_processors.notifications",
                "tongxin.core.context_processors.calendar_warning",
            ],
        },
    },
]

# Uploads (admission documents, demand photos): kept under data/, never served as static
# files — each app streams them through a view that checks the user's scope.
# The compliance roll-up's covering index (INCLUDE columns) exists on PostgreSQL only; SQLite,
# the embedded default, ignores the extra columns, which is harmless.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
MEDIA_ROOT = Path(os.environ.get("TONGXIN_MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media/"

_SQLITE_URL = f"sqlite:///{DATA_DIR / 'tongxin.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL") or _SQLITE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("TONGXIN_PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "tongxin.accounts.validators.CharacterClassValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Cache (core.ratelimit counters): Redis shared by every process when TONGXIN_REDIS_URL or
# REDIS_URL is set ("redis://host:6379/0"); otherwise per-process local memory.
_REDIS_URL = os.environ.get("TONGXIN_REDIS_URL") or os.environ.get("REDIS_URL") or ""
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _REDIS_URL}
        if _REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tongxin"}
    )
}

# Sessions: idle timeout is enforced by IdleTimeoutMiddleware; cookies are hardened.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
TESTING = "pytest" in sys.modules  # tests speak plain HTTP to the test client and live server
if TESTING:
    # Thousands of fixture users: a deliberately cheap hash, for the test run only.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Domain thresholds (DOMAIN.md marks these configurable).
TONGXIN = {
    "LOGIN_MAX_FAILURES": env_int("TONGXIN_LOGIN_MAX_FAILURES", 5),
    "LOGIN_LOCKOUT_MINUTES": env_int("TONGXIN_LOGIN_LOCKOUT_MINUTES", 15),
    "IDLE_TIMEOUT_MINUTES": env_int("TONGXIN_IDLE_TIMEOUT_MINUTES", 30),
    "REQUIRE_ADMIN_2FA": env_bool("TONGXIN_REQUIRE_ADMIN_2FA", True),
    "TERM_REMINDER_DAYS": env_int("TONGXIN_TERM_REMINDER_DAYS", 90),
    "AUDIT_RETENTION_DAYS": max(180, env_int("TONGXIN_AUDIT_RETENTION_DAYS", 180)),
    "API_TOKEN_HOURS": env_int("TONGXIN_API_TOKEN_HOURS", 12),
    "IMPORT_MAX_ROWS": env_int("TONGXIN_IMPORT_MAX_ROWS", 20000),
    "IMPORT_MAX_BYTES": env_int("TONGXIN_IMPORT_MAX_BYTES", 5 * 1024 * 1024),
    # AES-GCM key for sensitive fields (base64, 32 bytes); derived from SECRET_KEY if unset.
    "FIELD_KEY": os.environ.get("TONGXIN_FIELD_KEY", ""),
    "FIELD_CIPHER": os.environ.get("TONGXIN_FIELD_CIPHER", "aes-gcm"),
    # Members (DOMAIN.md §4): transfer letter validity (§4.4), Excel imports of members that
    # run on the worker above this many rows, and their limits.
    "TRANSFER_LETTER_DAYS": env_int("TONGXIN_TRANSFER_LETTER_DAYS", 90),
    "MEMBER_IMPORT_BACKGROUND_ROWS": env_int("TONGXIN_MEMBER_IMPORT_BACKGROUND_ROWS", 2000),
    "MEMBER_IMPORT_MAX_ROWS": env_int("TONGXIN_MEMBER_IMPORT_MAX_ROWS", 200000),
    "MEMBER_IMPORT_MAX_BYTES": env_int("TONGXIN_MEMBER_IMPORT_MAX_BYTES", 60 * 1024 * 1024),
    "ELDERLY_AGE": env_int("TONGXIN_ELDERLY_AGE", 80),
    # Admission (DOMAIN.md §6): days before a deadline that it shows on the to-do list.
    "ADMISSION_REMINDER_DAYS": env_int("TONGXIN_ADMISSION_REMINDER_DAYS", 14),
    # Study and education (《2019—2023年全国党员教育培训工作规划》): hours of concentrated
    # study a year for members and for branch secretaries, and concentrated trainings a year.
    "EDUCATION_MEMBER_HOURS": env_int("TONGXIN_EDUCATION_MEMBER_HOURS", 32),
    "EDUCATION_SECRETARY_HOURS": env_int("TONGXIN_EDUCATION_SECRETARY_HOURS", 56),
    "EDUCATION_SECRETARY_TRAININGS": env_int("TONGXIN_EDUCATION_SECRETARY_TRAININGS", 1),
    # Printable documents (core/pdf.py): a font file with Chinese characters to embed
    # ("path" or "path#face"); empty: Debian's fonts-noto-cjk or fonts-wqy-zenhei.
    "PDF_FONT": os.environ.get("TONGXIN_PDF_FONT", ""),
    # Outbound text messages (core.outbound): the gateway backend, by dotted path.
    "SMS_BACKEND": os.environ.get("TONGXIN_SMS_BACKEND", "tongxin.core.outbound.DatabaseBackend"),
    # Grid map (grid/views): base-tile URL template ("…/{z}/{x}/{y}.png", e.g. 天地图); empty:
    # no tiles, the grid boundaries draw on a blank background (offline intranets).
    "MAP_TILE_URL": os.environ.get("TONGXIN_MAP_TILE_URL", ""),
    # Demands (DOMAIN.md §8.4): time limits, office hours for working-hour clocks, uploads.
    "DEMAND_ACCEPT_WORKING_HOURS": env_int("TONGXIN_DEMAND_ACCEPT_WORKING_HOURS", 1),
    "DEMAND_URGENT_HOURS": env_int("TONGXIN_DEMAND_URGENT_HOURS", 2),
    "DEMAND_GENERAL_DAYS": env_int("TONGXIN_DEMAND_GENERAL_DAYS", 5),
    "DEMAND_CONSULTATION_DAYS": env_int("TONGXIN_DEMAND_CONSULTATION_DAYS", 3),
    "DEMAND_VISIT_DAYS": env_int("TONGXIN_DEMAND_VISIT_DAYS", 1),
    "WORK_SCHEDULE": os.environ.get("TONGXIN_WORK_SCHEDULE", "08:30-12:00,14:00-17:30"),
    "DEMAND_PHOTO_MAX_COUNT": env_int("TONGXIN_DEMAND_PHOTO_MAX_COUNT", 5),
    "DEMAND_PHOTO_MAX_BYTES": env_int("TONGXIN_DEMAND_PHOTO_MAX_BYTES", 5 * 1024 * 1024),
    "DEMAND_OVERDUE_CHECK_SECONDS": env_int("TONGXIN_DEMAND_OVERDUE_CHECK_SECONDS", 300),
    # how long the measures page keeps its grouped counts (seconds; 0: always fresh)
    "DEMAND_MEASURES_CACHE_SECONDS": env_int(
        "TONGXIN_DEMAND_MEASURES_CACHE_SECONDS", 0 if TESTING else 300
    ),
    # Resident portal (demands/views/portal.py): rate limits per client address ("N/h",
    # "N/10m", "N/30s") on submissions and on tracking attempts.
    "PORTAL_SUBMIT_RATE": os.environ.get("TONGXIN_PORTAL_SUBMIT_RATE", "10/h"),
    "PORTAL_TRACK_RATE": os.environ.get("TONGXIN_PORTAL_TRACK_RATE", "30/10m"),
    # Open311 GeoReport v2 (/open311/v2/): POST rate per client address and per api_key, the
    # most requests one GET returns, the contact and key-service lines of `discovery`, and
    # whether GET shows residents' descriptions (off: the category stands in for them).
    "OPEN311_POST_RATE": os.environ.get("TONGXIN_OPEN311_POST_RATE", "60/10m"),
    "OPEN311_KEY_RATE": os.environ.get("TONGXIN_OPEN311_KEY_RATE", "600/h"),
    "OPEN311_MAX_REQUESTS": env_int("TONGXIN_OPEN311_MAX_REQUESTS", 1000),
    "OPEN311_CONTACT": os.environ.get("TONGXIN_OPEN311_CONTACT", ""),
    "OPEN311_KEY_SERVICE": os.environ.get("TONGXIN_OPEN311_KEY_SERVICE", ""),
    "OPEN311_PUBLIC_DESCRIPTIONS": env_bool("TONGXIN_OPEN311_PUBLIC_DESCRIPTIONS", False),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
