"""Outgoing mail: one function, `send`, over the standard library's smtplib.

A mail is rendered at once (always in zh-TW, from `templates/mail/<name>.txt`) and
delivered after the request's transaction is committed (never for a rolled-back one):
through the RQ queue `mail` when REDIS_URL is set (`flask jobs worker --queue mail`),
else in the web process. Settings: MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS, MAIL_USERNAME,
MAIL_PASSWORD, MAIL_SENDER. Without MAIL_SERVER nothing is sent and `send` answers
False; the caller decides what the demo shows instead. Nothing here logs an address,
a body or a link: mails carry one-time tokens.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from redis.exceptions import RedisError
from rq import Queue

from app import lifecycle

log = logging.getLogger(__name__)

MAIL_QUEUE = "mail"
SEND_TIMEOUT = 60  # seconds a job may take to hand one mail to the server


def configured() -> bool:
    """Whether a mail server is configured (MAIL_SERVER)."""
    return bool(current_app.config.get("MAIL_SERVER"))


def send(to: str, subject: str, template: str, **context: Any) -> bool:
    """Render `templates/mail/<template>.txt` in zh-TW and send it after commit.

    Answers False (and sends nothing) when no mail server is configured.
    """
    if not configured():
        return False
    with force_locale("zh_Hant_TW"):
        body = render_template(f"mail/{template}.txt", **context)
    message = {"to": to, "subject": str(subject), "body": body}
    lifecycle.after_commit(lambda: _dispatch(message))
    return True


def _dispatch(message: dict[str, str]) -> None:
    from app.reports import jobs  # the job queue's plumbing lives with the reports' jobs

    try:
        connection = jobs.redis_connection()
        if connection is not None:
            queue = Queue(MAIL_QUEUE, connection=connection, is_async=not jobs.jobs_inline())
            jobs.enqueue(queue, deliver_job, message, timeout=SEND_TIMEOUT, description="mail")
            return
    except RedisError:
        log.warning("Redis unavailable: sending a mail from the web process")
    try:
        deliver(message)
    except (OSError, smtplib.SMTPException) as error:
        # The request is committed already; the person can ask for another link.
        log.error("mail delivery failed: %s", type(error).__name__)


def deliver_job(message: dict[str, str]) -> None:
    """RQ entry point: hand one rendered mail to the mail server."""
    from app.reports import jobs

    with jobs.app_context():
        deliver(message)


def build(message: dict[str, str]) -> EmailMessage:
    """The MIME message of a rendered mail (UTF-8 plain text)."""
    config = current_app.config
    mail = EmailMessage()
    mail["From"] = str(config["MAIL_SENDER"])
    mail["To"] = message["to"]
    mail["Subject"] = message["subject"]
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="inservice.edu.tw")
    mail.set_content(message["body"], charset="utf-8")
    return mail


def deliver(message: dict[str, str]) -> None:
    """Send one rendered mail now over SMTP (STARTTLS and login when configured)."""
    config = current_app.config
    with smtplib.SMTP(
        str(config["MAIL_SERVER"]), int(config.get("MAIL_PORT") or 25), timeout=30
    ) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(str(config["MAIL_USERNAME"]), str(config.get("MAIL_PASSWORD") or ""))
        smtp.send_message(build(message))
