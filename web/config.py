"""Web settings; IPCASE_* environment variables override them (e.g. IPCASE_SECRET_KEY)."""
from __future__ import annotations

from datetime import timedelta

from engine.services.uploads import DEFAULT_MAX_BYTES
from engine.settings import PROJECT_ROOT


class Config:
    SECRET_KEY = "dev-only-change-me"
    JSON_AS_ASCII = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Set IPCASE_SESSION_COOKIE_SECURE=true behind HTTPS (the remember cookie follows it).
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=10)
    # A form stays valid as long as the session: officers keep long forms open.
    WTF_CSRF_TIME_LIMIT = None
    UPLOAD_MAX_BYTES = DEFAULT_MAX_BYTES
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")
    # bpmn-js as installed by `npm ci` (never committed).
    BPMN_JS_DIR = str(PROJECT_ROOT / "node_modules" / "bpmn-js" / "dist")
    # Trust one proxy's X-Forwarded-For / -Proto (set when behind nginx).
    PROXY_FIX = False
