"""Signals between features (blinker): one feature says what happened, others react.

A feature announces an event with `announce(signal, sender, **data)`; a subscribing
feature connects a receiver when its blueprint is registered (see
`app.reports.subscribe`). Inside a request the lifecycle sends announced events only
after the transaction is committed, so a rolled-back submit queues nothing; in CLI
commands and jobs (which own their transaction) `announce` sends at once — call it
after committing.

| signal            | sender               | keyword data   | sent when                     |
|-------------------|----------------------|----------------|-------------------------------|
| plan_submitted    | plan kind ("school"/"teacher") | plan_id | a plan was submitted |
| roster_changed    | school id            | teacher_ids    | teachers joined/left a roster |
| account_changed   | account id           | change         | a business account changed    |
| feed_applied      | feed name            | sync_run_id    | a feed run was applied        |
"""

from __future__ import annotations

from typing import Any, Protocol

from blinker import Namespace, Signal

from app import lifecycle

signals = Namespace()

plan_submitted = signals.signal("plan-submitted")
roster_changed = signals.signal("roster-changed")  # defined for the roster feature
account_changed = signals.signal("account-changed")  # defined for school administration
feed_applied = signals.signal("feed-applied")  # defined for the feeds


def announce(signal: Signal, sender: Any, **data: Any) -> None:
    """Send `signal` once the current transaction is committed (never if it is rolled back)."""
    lifecycle.after_commit(lambda: signal.send(sender, **data))


class SubmittedPlan(Protocol):
    """What a plan page knows about the plan it just submitted."""

    @property
    def kind(self) -> Any: ...

    @property
    def plan_id(self) -> int | None: ...


def plan_was_submitted(ctx: SubmittedPlan) -> None:
    """Announce `plan_submitted` for a plan page's context (its kind and plan id)."""
    if ctx.plan_id is not None:
        announce(plan_submitted, str(ctx.kind), plan_id=ctx.plan_id)
