"""Forms shared by every feature."""

from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A button-only POST: carries nothing but the CSRF token."""
