"""The data model of SPEC §3: typed SQLAlchemy 2.x models."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import timeutil
from app.db import Base, UTCDateTime


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Store the stable value (not the Python name) as a VARCHAR with a CHECK.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=20,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class Stage(enum.StrEnum):
    KINDERGARTEN = "K"
    ELEMENTARY = "E"
    JUNIOR = "J"
    SENIOR = "S"
    VOCATIONAL = "V"
    SPECIAL = "X"

    @property
    def label(self) -> str:
        return str(STAGE_LABELS[self])  # in the request's language


STAGE_LABELS = {
    Stage.KINDERGARTEN: _l("幼兒園"),
    Stage.ELEMENTARY: _l("國小"),
    Stage.JUNIOR: _l("國中"),
    Stage.SENIOR: _l("高中"),
    Stage.VOCATIONAL: _l("高職"),
    Stage.SPECIAL: _l("特殊教育學校"),
}
STAGE_ORDER = [
    Stage.SENIOR,
    Stage.VOCATIONAL,
    Stage.SPECIAL,
    Stage.JUNIOR,
    Stage.ELEMENTARY,
    Stage.KINDERGARTEN,
]


class RosterSource(enum.StrEnum):
    LOCAL = "local"
    ECE = "ece"  # 全國教保資訊網填報系統
    TAIPEI = "taipei"  # 臺北市教師研習網


class PlanKind(enum.StrEnum):
    SCHOOL = "school"
    TEACHER = "teacher"


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class CycleStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


class AccountKind(enum.StrEnum):
    SCHOOL = "school"  # 業務帳號
    REGION = "region"  # 區管中心
    AUTHORITY = "authority"  # 主管機關
    OPERATOR = "operator"  # 系統管理


class AccountType(enum.StrEnum):
    CHIEF = "chief"  # 總負責人
    ROSTER = "roster"  # 教師資料
    PLANNING = "planning"  # 進修規劃
    COURSES = "courses"  # 研習課程


# Labels in the request's language (lazy: formatted when shown).
ACCOUNT_TYPE_LABELS = {
    AccountType.CHIEF: _lp("account type", "總負責人"),
    AccountType.ROSTER: _lp("account type", "教師資料"),
    AccountType.PLANNING: _lp("account type", "進修規劃"),
    AccountType.COURSES: _lp("account type", "研習課程"),
}


class AccountStatus(enum.StrEnum):
    APPLIED = "applied"
    ACTIVE = "active"
    DISABLED = "disabled"
    DELETED = "deleted"


class CourseStatus(enum.StrEnum):
    EDITING = "editing"  # 編輯中
    REVIEWING = "reviewing"  # 審核中
    ENROLLING = "enrolling"  # 報名中
    LIST_CONFIRMING = "list_confirming"  # 名單確認中
    LIST_CONFIRMED = "list_confirmed"  # 名單確認通過


COURSE_STATUS_LABELS = {
    CourseStatus.EDITING: _l("編輯中"),
    CourseStatus.REVIEWING: _l("審核中"),
    CourseStatus.ENROLLING: _l("報名中"),
    CourseStatus.LIST_CONFIRMING: _l("名單確認中"),
    CourseStatus.LIST_CONFIRMED: _l("名單確認通過"),
}


class EndReason(enum.StrEnum):
    LEFT = "left"  # 離職
    TRANSFERRED = "transferred"  # 轉校
    RETIRED = "retired"  # 退休
    NOT_IN_SOURCE = "not_in_source"  # 不在來源系統 (a nightly feed no longer lists the teacher)


class AuthorityKind(enum.StrEnum):
    COUNTY = "county"  # 縣市教育局處
    NATIONAL = "national"  # 國民及學前教育署


class Region(Base):
    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(20))

    counties: Mapped[list[County]] = relationship(back_populates="region")


class County(Base):
    __tablename__ = "county"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)  # 內政部縣市代碼
    name: Mapped[str] = mapped_column(String(10), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))

    region: Mapped[Region] = relationship(back_populates="counties")


class Authority(Base):
    __tablename__ = "authority"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[AuthorityKind] = mapped_column(_enum(AuthorityKind, "authority_kind"))
    county_code: Mapped[str | None] = mapped_column(ForeignKey("county.code"))

    county: Mapped[County | None] = relationship()


class School(Base):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)  # 教育部學校代碼
    name: Mapped[str] = mapped_column(String(60))
    county_code: Mapped[str] = mapped_column(ForeignKey("county.code"), index=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("authority.id"), index=True)
    stage: Mapped[Stage] = mapped_column(_enum(Stage, "stage"))
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    roster_source: Mapped[RosterSource] = mapped_column(
        _enum(RosterSource, "roster_source"), default=RosterSource.LOCAL
    )

    county: Mapped[County] = relationship()
    authority: Mapped[Authority] = relationship()

    __table_args__ = (CheckConstraint("length(code) = 6", name="code_length"),)


class LoginSubject:
    """What Flask-Login needs; the session token in the id lets logout end every copy."""

    id: int
    session_token: str
    id_prefix = ""
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return True

    def get_id(self) -> str:
        return f"{self.id_prefix}:{self.id}:{self.session_token}"

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()


class Teacher(LoginSubject, Base):
    __tablename__ = "teacher"
    id_prefix = "t"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The national ID is never stored in clear: ciphertext, keyed lookup hash, masked form.
    national_id_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    national_id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    national_id_masked: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(30))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    sso_subject: Mapped[str | None] = mapped_column(String(100), unique=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)

    employments: Mapped[list[Employment]] = relationship(
        back_populates="teacher", order_by="Employment.valid_from"
    )


class Employment(Base):
    """A teacher's service at a school; history is kept, the roster at T is a query."""

    __tablename__ = "employment"

    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("teacher.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    title: Mapped[str] = mapped_column(String(30), default="教師")
    subjects: Mapped[str] = mapped_column(String(120), default="")
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[EndReason | None] = mapped_column(_enum(EndReason, "end_reason"))

    teacher: Mapped[Teacher] = relationship(back_populates="employments")
    school: Mapped[School] = relationship()

    @staticmethod
    def at(moment: datetime) -> Any:
        """Select the employments in force at `moment` ([valid_from, valid_to))."""
        return select(Employment).where(
            Employment.valid_from <= moment,
            (Employment.valid_to.is_(None)) | (Employment.valid_to > moment),
        )


class BusinessAccount(LoginSubject, Base):
    """A personal staff login: school business account, regional centre, authority, operator."""

    __tablename__ = "business_account"
    id_prefix = "a"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    job_title: Mapped[str | None] = mapped_column(String(40))  # 職稱, as the holder gives it
    email: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(30))
    kind: Mapped[AccountKind] = mapped_column(_enum(AccountKind, "account_kind"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authority.id"))
    status: Mapped[AccountStatus] = mapped_column(
        _enum(AccountStatus, "account_status"), default=AccountStatus.APPLIED
    )
    password_hash: Mapped[str | None] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)

    school: Mapped[School | None] = relationship()
    region: Mapped[Region | None] = relationship()
    authority: Mapped[Authority | None] = relationship()
    grants: Mapped[list[AccountGrant]] = relationship(
        back_populates="account", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.status == AccountStatus.ACTIVE

    @property
    def types(self) -> set[AccountType]:
        return {grant.type for grant in self.grants}

    def has_type(self, *wanted: AccountType) -> bool:
        return bool(self.types & set(wanted))


class AccountGrant(Base):
    """One account type (總負責人, 教師資料, 進修規劃, 研習課程) held by a business account."""

    __tablename__ = "account_grant"

    account_id: Mapped[int] = mapped_column(ForeignKey("business_account.id"), primary_key=True)
    type: Mapped[AccountType] = mapped_column(_enum(AccountType, "account_type"), primary_key=True)

    account: Mapped[BusinessAccount] = relationship(back_populates="grants")


class Course(Base):
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("business_account.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    hours: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[CourseStatus] = mapped_column(
        _enum(CourseStatus, "course_status"), default=CourseStatus.EDITING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)

    school: Mapped[School] = relationship()
    registered_by: Mapped[BusinessAccount] = relationship()


class Cycle(Base):
    """An academic year's planning cycle (學年度)."""

    __tablename__ = "cycle"

    id: Mapped[int] = mapped_column(primary_key=True)
    academic_year: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(40))
    status: Mapped[CycleStatus] = mapped_column(
        _enum(CycleStatus, "cycle_status"), default=CycleStatus.DRAFT
    )
    roster_cutoff: Mapped[datetime] = mapped_column(UTCDateTime())
    kindergarten_teachers_take_part: Mapped[bool] = mapped_column(Boolean, default=False)
    contact: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    snapshot_taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    windows: Mapped[list[Window]] = relationship(
        back_populates="cycle", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        """The cycle's name in the request's language: the stored name (113學年度), or on
        English pages one derived from the year, "Academic year 2024–2025 (ROC 113)"."""
        from app.i18n import cycle_name  # app.i18n reads the request's locale

        return cycle_name(self.academic_year, self.name)


class Window(Base):
    """When a stage may fill one plan kind: [opens_at, closes_at)."""

    __tablename__ = "window"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    plan_kind: Mapped[PlanKind] = mapped_column(_enum(PlanKind, "plan_kind"))
    stage: Mapped[Stage] = mapped_column(_enum(Stage, "stage"))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())

    cycle: Mapped[Cycle] = relationship(back_populates="windows")

    __table_args__ = (
        UniqueConstraint("cycle_id", "plan_kind", "stage"),
        CheckConstraint("closes_at > opens_at", name="closes_after_opens"),
    )


class Extension(Base):
    """A later close for one school or one teacher (延長填寫)."""

    __tablename__ = "extension"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    plan_kind: Mapped[PlanKind] = mapped_column(_enum(PlanKind, "plan_kind"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("teacher.id"))
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("business_account.id"))
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    # 延長填寫 (app/deadlines): the school the grant concerns (the school itself, or the
    # teacher's roster-snapshot school) for scope filters, its bulk batch, its revocation.
    concerns_school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("extension_batch.id"), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("business_account.id"))

    __table_args__ = (
        CheckConstraint("(school_id IS NULL) <> (teacher_id IS NULL)", name="one_target"),
    )


class Questionnaire(Base):
    """A versioned questionnaire definition; frozen once the first answer exists."""

    __tablename__ = "questionnaire"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    plan_kind: Mapped[PlanKind] = mapped_column(_enum(PlanKind, "plan_kind"))
    version: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)

    __table_args__ = (UniqueConstraint("cycle_id", "plan_kind", "version"),)


class RosterSnapshot(Base):
    """The teacher list of a cycle, frozen at the roster cutoff."""

    __tablename__ = "roster_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    teacher_id: Mapped[int] = mapped_column(ForeignKey("teacher.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    title: Mapped[str] = mapped_column(String(30))
    subjects: Mapped[str] = mapped_column(String(120))

    teacher: Mapped[Teacher] = relationship()
    school: Mapped[School] = relationship()

    __table_args__ = (UniqueConstraint("cycle_id", "teacher_id"),)


class PlanMixin:
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[PlanStatus] = mapped_column(
        _enum(PlanStatus, "plan_status"), default=PlanStatus.DRAFT
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    updated_by: Mapped[str] = mapped_column(String(80), default="")


class SchoolPlan(PlanMixin, Base):
    __tablename__ = "school_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id"))

    school: Mapped[School] = relationship()
    cycle: Mapped[Cycle] = relationship()
    questionnaire: Mapped[Questionnaire] = relationship()

    __table_args__ = (UniqueConstraint("cycle_id", "school_id"),)


class TeacherPlan(PlanMixin, Base):
    __tablename__ = "teacher_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    teacher_id: Mapped[int] = mapped_column(ForeignKey("teacher.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id"))

    teacher: Mapped[Teacher] = relationship()
    school: Mapped[School] = relationship()
    cycle: Mapped[Cycle] = relationship()
    questionnaire: Mapped[Questionnaire] = relationship()

    __table_args__ = (
        UniqueConstraint("cycle_id", "teacher_id"),
        Index("ix_teacher_plan_cycle_school_status", "cycle_id", "school_id", "status"),
    )


class PlanVersion(Base):
    """Every submitted version of a plan, kept."""

    __tablename__ = "plan_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_kind: Mapped[PlanKind] = mapped_column(_enum(PlanKind, "plan_kind"))
    plan_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by: Mapped[str] = mapped_column(String(80))

    __table_args__ = (UniqueConstraint("plan_kind", "plan_id", "version"),)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now, index=True)
    actor: Mapped[str] = mapped_column(String(80))  # e.g. "account:12", "teacher:7", "cli"
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(40))
    # The school the change concerns (None: none in particular), for the audit views' filter.
    school_id: Mapped[int | None] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)


class SyncRun(Base):
    __tablename__ = "sync_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    feed: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="running")
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_applied: Mapped[int] = mapped_column(Integer, default=0)
    rows_skipped: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # What a feed run did (app/feeds): teachers created, updated and ended, units created;
    # the file's name and, for a refused run, why nothing was applied.
    rows_created: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_ended: Mapped[int] = mapped_column(Integer, default=0)
    units_created: Mapped[int] = mapped_column(Integer, default=0)
    file_name: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(String(300), default="")

    __table_args__ = (Index("ix_sync_run_feed_started", "feed", "started_at"),)


class SsoIdentity(Base):
    """A single sign-on identity (issuer, subject) linked by a verified step to a teacher
    (realm "teacher") or to a business account (realm "school"): exactly one of the two.

    One identity links to at most one teacher and at most one business account, and a
    business account to at most one identity; the realm keeps the two kinds of link apart
    (a teacher who also holds a business account may link the same identity to both)."""

    __tablename__ = "sso_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    realm: Mapped[str] = mapped_column(String(10), default="teacher")  # teacher | school
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("teacher.id"), index=True)
    business_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("business_account.id"), unique=True
    )
    linked_by: Mapped[str] = mapped_column(String(20))  # national_id | password | signed_in
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)

    teacher: Mapped[Teacher | None] = relationship()
    business_account: Mapped[BusinessAccount | None] = relationship()

    __table_args__ = (
        UniqueConstraint("issuer", "subject", "realm"),
        CheckConstraint("(teacher_id IS NULL) <> (business_account_id IS NULL)", name="one_owner"),
        CheckConstraint(
            "(realm = 'teacher' AND teacher_id IS NOT NULL)"
            " OR (realm = 'school' AND business_account_id IS NOT NULL)",
            name="realm_matches",
        ),
    )


class LoginAttempt(Base):
    """Every sign-in attempt, kept for oversight, for slowing down an account attacked
    from many clients, and for telling the owner at the next sign-in."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    realm: Mapped[str] = mapped_column(String(10))  # school | teacher
    succeeded: Mapped[bool] = mapped_column(Boolean)
    # "teacher:7", "account:3", or "teacher:?<keyed hash>" for an unknown ID; never a raw ID.
    subject: Mapped[str] = mapped_column(String(80))
    client: Mapped[str] = mapped_column(String(64))
    locked_pair: Mapped[bool] = mapped_column(Boolean, default=False)  # this failure locked

    __table_args__ = (Index("ix_login_attempt_subject_at", "subject", "at"),)


class LoginPair(Base):
    """Failures of one sign-in subject from one client; only this pair is ever locked."""

    __tablename__ = "login_pair"

    id: Mapped[int] = mapped_column(primary_key=True)
    realm: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(80))
    client: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)

    __table_args__ = (UniqueConstraint("subject", "client"),)


class GeneratedDocument(Base):
    """A rendered PDF, kept on disk and found by what it depends on."""

    __tablename__ = "generated_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    cache_key: Mapped[str] = mapped_column(String(200), unique=True)
    path: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)


class Job(Base):
    """A background job's progress, readable by the page that polls it."""

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    owner: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    result_path: Mapped[str | None] = mapped_column(String(300))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LinkPurpose(enum.StrEnum):
    ACTIVATE = "activate"  # a new teacher sets the first password
    RESET = "reset"  # 重設密碼


class OneTimeLink(Base):
    """A one-time, expiring link (activation, password reset): only the token's hash is kept."""

    __tablename__ = "one_time_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[LinkPurpose] = mapped_column(_enum(LinkPurpose, "link_purpose"))
    subject_kind: Mapped[str] = mapped_column(String(10))  # "teacher" | "account"
    subject_id: Mapped[int] = mapped_column(Integer)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_one_time_link_subject", "subject_kind", "subject_id"),)


# ---- operator console ----


class PlanPeriod(Base):
    """The overall period of one plan kind in a cycle; every stage's window lies inside it."""

    __tablename__ = "plan_period"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    plan_kind: Mapped[PlanKind] = mapped_column(_enum(PlanKind, "plan_kind"))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("cycle_id", "plan_kind"),
        CheckConstraint("closes_at > opens_at", name="period_closes_after_opens"),
    )


class AnnouncementAudience(enum.StrEnum):
    EVERYONE = "everyone"  # 所有人: the home page and every dashboard
    SCHOOLS = "schools"  # 學校業務帳號: the 業務專區 dashboard
    TEACHERS = "teachers"  # 教師: the teacher's dashboard


ANNOUNCEMENT_AUDIENCE_LABELS = {
    AnnouncementAudience.EVERYONE: _l("所有人"),
    AnnouncementAudience.SCHOOLS: _l("學校業務帳號"),
    AnnouncementAudience.TEACHERS: _l("教師"),
}


class Announcement(Base):
    """最新消息: shown from `shows_from` to `shows_until` (Taipei days, both included)."""

    __tablename__ = "announcement"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(String(4000))
    shows_from: Mapped[date] = mapped_column(Date, index=True)
    shows_until: Mapped[date] = mapped_column(Date)
    audience: Mapped[AnnouncementAudience] = mapped_column(
        _enum(AnnouncementAudience, "announcement_audience")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    created_by: Mapped[str] = mapped_column(String(80))

    __table_args__ = (CheckConstraint("shows_until >= shows_from", name="shows_until_after_from"),)


# ---- extensions and reminders (延長填寫、催填) ----


class ExtensionBatch(Base):
    """A bulk grant (a typhoon day): one extension per school of a county x stage."""

    __tablename__ = "extension_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    plan_kind: Mapped[PlanKind] = mapped_column(_enum(PlanKind, "plan_kind"))
    county_code: Mapped[str] = mapped_column(ForeignKey("county.code"))
    stage: Mapped[Stage] = mapped_column(_enum(Stage, "stage"))
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(200))
    school_count: Mapped[int] = mapped_column(Integer, default=0)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("business_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("business_account.id"))

    county: Mapped[County] = relationship()


class ReminderBatch(Base):
    """One reminder sent from a dashboard (催填): whom it targeted, by whom, how it went."""

    __tablename__ = "reminder_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    plan_kind: Mapped[PlanKind] = mapped_column(_enum(PlanKind, "plan_kind"))
    # The target: one school, or every school of a county x stage.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    county_code: Mapped[str | None] = mapped_column(ForeignKey("county.code"), index=True)
    stage: Mapped[Stage | None] = mapped_column(_enum(Stage, "stage"))
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("business_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=timeutil.now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued|running|done
    total: Mapped[int] = mapped_column(Integer, default=0)  # mails to send
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    skipped_today: Mapped[int] = mapped_column(Integer, default=0)  # reminded already today
    skipped_no_email: Mapped[int] = mapped_column(Integer, default=0)

    school: Mapped[School | None] = relationship()
    county: Mapped[County | None] = relationship()
    sent_by: Mapped[BusinessAccount] = relationship()
    recipients: Mapped[list[ReminderRecipient]] = relationship(
        back_populates="batch", order_by="ReminderRecipient.id"
    )


class ReminderRecipient(Base):
    """One person a reminder was meant for, and what became of it."""

    __tablename__ = "reminder_recipient"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("reminder_batch.id"), index=True)
    recipient_kind: Mapped[str] = mapped_column(String(10))  # "account" | "teacher"
    recipient_id: Mapped[int] = mapped_column(Integer)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    day: Mapped[date] = mapped_column(Date)  # the Taipei calendar day of the attempt
    status: Mapped[str] = mapped_column(String(20))  # queued | sent | failed | skipped
    reason: Mapped[str] = mapped_column(String(20), default="")  # today | no_email
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # "account:12:2024-08-23" while queued or sent, else NULL: at most one a day, enforced
    # by the database even for two batches racing each other.
    once_key: Mapped[str | None] = mapped_column(String(60), unique=True)

    batch: Mapped[ReminderBatch] = relationship(back_populates="recipients")

    __table_args__ = (
        Index("ix_reminder_recipient_who_day", "recipient_kind", "recipient_id", "day"),
    )
