"""One-time links: stored only as a hash, usable once, expiring, retired by a newer one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import onetime
from app.extensions import db
from app.models import LinkPurpose, OneTimeLink


def test_the_token_is_stored_only_as_its_hash(factory):
    teacher = factory.teacher(factory.school())
    issued = onetime.issue(teacher, LinkPurpose.RESET)
    row = db.session.scalar(select(OneTimeLink))
    assert row.token_hash == onetime.token_hash(issued.token)
    assert issued.token not in row.token_hash
    assert len(issued.token) >= 40  # 32 random bytes
    assert (row.subject_kind, row.subject_id) == ("teacher", teacher.id)


def test_a_link_works_once(factory):
    teacher = factory.teacher(factory.school())
    issued = onetime.issue(teacher, LinkPurpose.RESET)
    assert onetime.find(issued.token).id == issued.link.id
    assert onetime.subject_of(onetime.use(issued.token)) is teacher
    with pytest.raises(onetime.LinkRefused) as refused:
        onetime.use(issued.token)
    assert refused.value.problem == onetime.LinkProblem.USED


def test_a_reset_link_expires_after_24_hours(factory, clock):
    teacher = factory.teacher(factory.school())
    issued = onetime.issue(teacher, LinkPurpose.RESET)
    start = clock()
    clock.set(start + timedelta(hours=23, minutes=59))
    assert onetime.find(issued.token)
    clock.set(start + timedelta(hours=24))
    with pytest.raises(onetime.LinkRefused) as refused:
        onetime.use(issued.token)
    assert refused.value.problem == onetime.LinkProblem.EXPIRED


def test_an_activation_link_lasts_a_week(factory, clock):
    teacher = factory.teacher(factory.school())
    issued = onetime.issue(teacher, LinkPurpose.ACTIVATE)
    assert issued.link.expires_at - clock() == timedelta(days=7)


@pytest.mark.parametrize("token", ["", "x", "a" * 500, "not-a-token-we-issued"])
def test_unknown_tokens_are_refused(app, token):
    with pytest.raises(onetime.LinkRefused) as refused:
        onetime.find(token)
    assert refused.value.problem == onetime.LinkProblem.UNKNOWN


def test_a_new_link_retires_the_earlier_one(factory):
    teacher = factory.teacher(factory.school())
    first = onetime.issue(teacher, LinkPurpose.RESET)
    second = onetime.issue(teacher, LinkPurpose.RESET)
    with pytest.raises(onetime.LinkRefused):
        onetime.find(first.token)
    assert onetime.find(second.token)
    # Another purpose is another link: an activation link does not retire a reset link.
    onetime.issue(teacher, LinkPurpose.ACTIVATE)
    assert onetime.find(second.token)
