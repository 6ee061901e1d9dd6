"""Every Flask extension, created unbound here and initialised by the factory."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from app.db import Database

db = Database()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
# Storage is chosen in create_app: memory:// for the demo, Redis when REDIS_URL is set.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
