"""The to-do home page (issue #13): what each role has waiting, counted and listed.

Composed here, in the top layer, because it reads every app. Every queryset starts from the
model's ``visible_to`` (or ``reviewable_by``) in ``crisi_portal.scoping``: what is out of a
user's scope is never counted. :func:`todo_counts` is one query per section whatever the data
(the menu's badges, kept per user for ``TODO_CACHE_SECONDS``); :func:`todo_sections` adds the
first rows of each, for the home page.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.enums import Status
from cases.models import CrisisProcedure, Meeting
from crisi_portal import notifications
from crisi_portal.roles import Role
from crisi_portal.scoping import AnyUser, acts_as_operator
from pal.enums import PIPStatus
from pal.models import PIP
from pal.step3 import cohorts_missed_twice
from workers.models import Cohort, Involvement, StepTransition

# How many rows of each section the home page lists (the link opens them all).
SHOWN = 10
SECTIONS = ("review", "returned", "meetings", "ending", "stale", "step3_missed")
CACHE_KEY = "todo:{}"


@dataclass
class Section:
    key: str
    title: str
    empty: str
    count: int
    url: str
    items: list = field(default_factory=list)


def _reviews(user) -> QuerySet:
    return (
        PIP.objects.reviewable_by(user)
        .filter(status=PIPStatus.PRESENTATO)
        .order_by("submitted_at", "pk")
    )


def _returned(user) -> QuerySet:
    return PIP.objects.visible_to(user).filter(status=PIPStatus.RESTITUITO).order_by("-decided_at")


def _meetings(user, today: date) -> QuerySet:
    last = today + timedelta(days=settings.TODO_MEETING_DAYS)
    return Meeting.objects.visible_to(user).filter(date__range=(today, last)).order_by("date", "pk")


def _ending(user, today: date) -> QuerySet:
    last = today + timedelta(days=settings.TODO_SUPPORT_END_DAYS)
    return (
        CrisisProcedure.objects.visible_to(user)
        .exclude(status=Status.CHIUSA)
        .filter(end_date__range=(today, last))
        .order_by("end_date", "pk")
    )


def _stale(user, today: date) -> QuerySet:
    """Cohorts of open procedures, with workers, older than the threshold, in which no worker
    moved step within it."""
    since = today - timedelta(days=settings.TODO_STALE_COHORT_DAYS)
    recent = StepTransition.objects.filter(
        involvement__cohort=OuterRef("pk"), effective_date__gt=since
    )
    members = Involvement.objects.filter(cohort=OuterRef("pk"))
    return (
        Cohort.objects.visible_to(user)
        .exclude(procedure__status=Status.CHIUSA)
        .filter(Exists(members), created_at__date__lte=since)
        .exclude(Exists(recent))
        .order_by("procedure_id", "name")
    )


def _step3_missed(user) -> QuerySet:
    """Cohorts of open procedures with a worker who missed two STEP 3 meetings (absent, not
    justified): someone should call them, or invite them once more."""
    cohorts = Cohort.objects.visible_to(user).exclude(procedure__status=Status.CHIUSA)
    return cohorts_missed_twice(cohorts).order_by("procedure_id", "name")


def sections_for(user: AnyUser) -> tuple[str, ...]:
    """The sections a role has: reviewers review, operators get PIPs back, the others follow
    meetings, deadlines and cohorts."""
    if user is None or not user.is_authenticated:
        return ()
    if acts_as_operator(user) and not user.is_admin:
        return ("returned",)
    if user.role not in (Role.PROVINCE_STAFF, Role.REGION_OFFICIAL) and not user.is_admin:
        return ()
    reviews = ("review",) if user.is_admin or user.role == Role.PROVINCE_STAFF else ()
    return (*reviews, "meetings", "ending", "stale", "step3_missed")


def _querysets(user, today: date) -> dict[str, QuerySet]:
    makers = {
        "review": lambda: _reviews(user),
        "returned": lambda: _returned(user),
        "meetings": lambda: _meetings(user, today),
        "ending": lambda: _ending(user, today),
        "stale": lambda: _stale(user, today),
        "step3_missed": lambda: _step3_missed(user),
    }
    return {key: makers[key]() for key in sections_for(user)}


class _Count(Subquery):
    """``(SELECT COUNT(*) FROM (subquery))``: a count as a column of another query."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()


def _counted(user, querysets: dict[str, QuerySet], **extra: QuerySet) -> dict[str, int]:
    """Every count in one query (a row of the user's own table, one column per count)."""
    columns = {
        key: _Count(qs.order_by().values("pk")) for key, qs in {**querysets, **extra}.items()
    }
    if not columns:
        return {}
    row = get_user_model().objects.filter(pk=user.pk).values(**columns).first() or {}
    # A queryset that is empty by construction (``none()``: a user with no scope) compiles to
    # NULL, not to a count: it counts nothing.
    return {key: row.get(key) or 0 for key in columns}


def todo_counts(user: AnyUser, today: date | None = None) -> dict[str, int]:
    """``{section: count}`` and ``total``, in one query whatever the sections."""
    querysets = _querysets(user, today or timezone.localdate())
    counts = _counted(user, querysets) if querysets else {}
    return {**counts, "total": sum(counts.values())}


def header_counts(user: AnyUser) -> dict:
    """The header's figures: ``unread`` notifications (always current) and the ``todo``
    counts (kept per user for ``TODO_CACHE_SECONDS``). One query per page: both together, or
    the unread count alone while the to-do counts are cached."""
    if user is None or not user.is_authenticated:
        return {"unread": 0, "todo": {}}
    key = CACHE_KEY.format(user.pk)
    counts = cache.get(key)
    if counts is not None:
        return {"unread": notifications.unread(user).count(), "todo": counts}
    row = _counted(user, _querysets(user, timezone.localdate()), unread=notifications.unread(user))
    unread = row.pop("unread")
    counts = {**row, "total": sum(row.values())}
    cache.set(key, counts, settings.TODO_CACHE_SECONDS)
    return {"unread": unread, "todo": counts}


def cached_counts(user: AnyUser) -> dict[str, int]:
    """The to-do counts of :func:`header_counts` (the menu's badges)."""
    return header_counts(user)["todo"]


def _url(name: str, **query) -> str:
    return reverse(name) + ("?" + urlencode(query) if query else "")


def todo_sections(user, today: date | None = None) -> list[Section]:
    """The home page's sections: each with its count, its first rows and the filtered list."""
    today = today or timezone.localdate()
    querysets = _querysets(user, today)
    counts = _counted(user, querysets)
    # The page's figures refresh the menu's: both say the same.
    cache.set(
        CACHE_KEY.format(user.pk),
        {**counts, "total": sum(counts.values())},
        settings.TODO_CACHE_SECONDS,
    )
    sections = []
    for key, queryset in querysets.items():
        sections.append(_section(key, queryset, counts[key], today))
    return sections


def _cohort_item(cohort: Cohort, url: str) -> dict:
    """A cohort as a row of a section: its name, company and procedure, and the link."""
    return {
        "label": cohort.name,
        "detail": f"{cohort.procedure.company.name} · {cohort.procedure.external_id}",
        "date": None,
        "url": url,
    }


def _section(key: str, queryset: QuerySet, count: int, today: date) -> Section:
    meeting_last = today + timedelta(days=settings.TODO_MEETING_DAYS)
    ending_last = today + timedelta(days=settings.TODO_SUPPORT_END_DAYS)
    if key == "review":
        rows = queryset.select_related("dote__measure", "dote__operator")[:SHOWN]
        return Section(
            key,
            str(_("PIPs waiting for my review")),
            str(_("No PIP is waiting for your review.")),
            count,
            _url("pal:review_queue", status=PIPStatus.PRESENTATO),
            [
                {
                    "label": _("PIP %(id)s") % {"id": pip.reference},
                    "detail": f"{pip.dote.measure} · {pip.dote.operator}",
                    "date": pip.submitted_at,
                    "url": reverse("pal:review_pip", args=[pip.pk]),
                }
                for pip in rows
            ],
        )
    if key == "returned":
        rows = queryset.select_related("dote__measure")[:SHOWN]
        return Section(
            key,
            str(_("PIPs returned to me")),
            str(_("No PIP has been returned to you.")),
            count,
            _url("pal:operator_home", pip_status=PIPStatus.RESTITUITO) + "#pips",
            [
                {
                    "label": _("PIP %(id)s") % {"id": pip.reference},
                    "detail": str(pip.dote.measure),
                    "date": pip.decided_at,
                    "url": reverse("pal:pip_detail", args=[pip.pk]),
                }
                for pip in rows
            ],
        )
    if key == "meetings":
        rows = queryset.select_related("province")[:SHOWN]
        return Section(
            key,
            str(_("Meetings in the next %(days)d days") % {"days": settings.TODO_MEETING_DAYS}),
            str(_("No meeting in the coming days.")),
            count,
            _url(
                "cases:meeting_list",
                date_after=today.isoformat(),
                date_before=meeting_last.isoformat(),
            ),
            [
                {
                    "label": meeting.get_kind_display(),
                    "detail": meeting.province.name if meeting.province else _("Region"),
                    "date": meeting.date,
                    "url": meeting.get_absolute_url(),
                }
                for meeting in rows
            ],
        )
    if key == "ending":
        rows = queryset.select_related("company")[:SHOWN]
        return Section(
            key,
            str(
                _("Income support ending within %(days)d days")
                % {"days": settings.TODO_SUPPORT_END_DAYS}
            ),
            str(_("No procedure's income support ends soon.")),
            count,
            _url(
                "cases:procedure_list",
                ends_after=today.isoformat(),
                ends_before=ending_last.isoformat(),
                ordering="end_date",
            ),
            [
                {
                    "label": procedure.company.name,
                    "detail": procedure.external_id,
                    "date": procedure.end_date,
                    "url": procedure.get_absolute_url(),
                }
                for procedure in rows
            ],
        )
    if key == "step3_missed":
        rows = queryset.select_related("procedure__company")[:SHOWN]
        return Section(
            key,
            str(_("Groups with workers who missed two STEP 3 meetings")),
            str(_("No worker has missed two STEP 3 meetings.")),
            count,
            _url("pal:step3_list"),
            [_cohort_item(cohort, cohort.get_absolute_url()) for cohort in rows],
        )
    rows = queryset.select_related("procedure__company")[:SHOWN]
    return Section(
        key,
        str(
            _("Groups with no step move in %(days)d days")
            % {"days": settings.TODO_STALE_COHORT_DAYS}
        ),
        str(_("Every group of workers has moved recently.")),
        count,
        "",
        [
            _cohort_item(
                cohort,
                reverse("workers:procedure_workers", args=[cohort.procedure_id])
                + "?"
                + urlencode({"cohort": cohort.pk}),
            )
            for cohort in rows
        ],
    )
