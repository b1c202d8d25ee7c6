"""The cruscotto page and its CSV: the same filtered list, read by ``monitoring.cruscotto``."""

import itertools

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from cases.enums import Family, MeetingKind
from cases.models import Province
from crisi_portal import exports
from crisi_portal.forms import StyledFormMixin
from crisi_portal.replica import ReplicaReadsMixin
from crisi_portal.roles import Role
from crisi_portal.scoping import ScopedViewMixin, readable_provinces
from monitoring import cruscotto
from workers.enums import STEP_SHORT_LABELS, Step

STAFF_AND_REGION = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL})


class CruscottoFilterForm(StyledFormMixin, forms.Form):
    province = forms.ModelChoiceField(
        label=_("Province"),
        queryset=Province.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All provinces"),
    )
    family = forms.ChoiceField(
        label=_("Family"), choices=[("", _("All families")), *Family.choices], required=False
    )
    closed = forms.BooleanField(label=_("Include closed procedures"), required=False)
    window = forms.TypedChoiceField(
        choices=[(str(days), str(days)) for days in cruscotto.WINDOWS],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.HiddenInput,
    )
    ordering = forms.ChoiceField(
        choices=[(key, key) for key in cruscotto.ORDERINGS],
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        codes = readable_provinces(user)
        if codes is None:
            return
        if len(codes) > 1:
            self.fields["province"].queryset = Province.objects.filter(code__in=codes)
        else:  # one province: the queryset already says which
            del self.fields["province"]

    def filters(self) -> dict:
        """Keyword arguments for the selectors (call only on a valid form)."""
        data = self.cleaned_data
        return {
            "province": data["province"].code if data.get("province") else None,
            "family": data["family"] or None,
            "include_closed": data["closed"],
        }


class CruscottoMixin(ReplicaReadsMixin, ScopedViewMixin):
    roles = STAFF_AND_REGION

    def read(self) -> None:
        """The filters of the query string; a value the form refuses lists nothing."""
        self.form = CruscottoFilterForm(self.request.GET, user=self.request.user)
        self.today = timezone.localdate()
        self.valid = self.form.is_valid()
        data = self.form.cleaned_data if self.valid else {}
        self.filters = self.form.filters() if self.valid else {}
        self.window = data.get("window")
        self.ordering = data.get("ordering") or cruscotto.DEFAULT_ORDERING

    def procedures(self):
        procedures = cruscotto.cruscotto_procedures(
            self.request.user,
            window=self.window,
            today=self.today,
            ordering=self.ordering,
            **self.filters,
        )
        return procedures if self.valid else procedures.none()


class CruscottoView(CruscottoMixin, TemplateView):
    template_name = "monitoring/cruscotto.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        self.read()
        today, window = self.today, self.window
        procedures = list(self.procedures())
        for procedure in procedures:
            # Display values only: every count comes from the query's annotations.
            procedure.days_left = cruscotto.days_left(procedure, today)
            procedure.urgency = cruscotto.urgency(procedure.days_left)
            procedure.days_ago = -procedure.days_left if procedure.urgency == "past" else None
            procedure.meeting_in = (
                (procedure.next_meeting_date - today).days if procedure.next_meeting_date else None
            )
            procedure.next_meeting_label = (
                MeetingKind(procedure.next_meeting_kind).label
                if procedure.next_meeting_kind
                else ""
            )
            procedure.provinces = cruscotto.unit_provinces(procedure)
            procedure.steps = [
                (step, getattr(procedure, field)) for step, field in cruscotto.STEP_FIELDS.items()
            ]
        counts = cruscotto.deadline_counts(self.request.user, today=today, **self.filters)
        context.update(
            form=self.form,
            today=today,
            procedures=procedures,
            window=window,
            include_closed=self.filters.get("include_closed", False),
            tiles=[
                {
                    "window": days,
                    "count": counts[days],
                    "active": window == days,
                }
                for days in (*cruscotto.WINDOWS, None)
            ],
            steps=[(step, STEP_SHORT_LABELS[step], step.label) for step in Step],
            sort_links=_sort_links(self.request, self.ordering),
        )
        return context


class CruscottoCsvView(CruscottoMixin, View):
    """The list on the page, as CSV: procedures and counts, no personal data."""

    def get(self, request, *args, **kwargs):
        self.read()
        name = f"cruscotto-{self.today.isoformat()}" + (f"-{self.window}" if self.window else "")
        exports.export_format(request)  # an unknown format is a 404 before any query
        chunks = exports.ordered_chunks(self.procedures())
        return exports.list_export(
            request,
            columns=cruscotto.columns(today=self.today),
            items=itertools.chain.from_iterable(chunks),
            name=name,
            title=_("Cruscotto"),
            technical=lambda: exports.csv_response(
                cruscotto.csv_rows(chunks, today=self.today),
                filename=f"{name}.csv",
                lineterminator="\n",
            ),
        )


def _sort_links(request, ordering: str) -> dict[str, dict]:
    """For each sortable column: the link that sorts by it and how it is sorted now.

    Like the ``sort_header`` tag, but aware that the page is sorted by end date when the
    query string says nothing.
    """
    links = {}
    for key in ("end_date", "next_meeting"):
        if ordering == key:
            target, direction, icon = f"-{key}", "ascending", "it-arrow-up-triangle"
        elif ordering == f"-{key}":
            target, direction, icon = key, "descending", "it-arrow-down-triangle"
        else:
            target, direction, icon = key, "none", ""
        params = request.GET.copy()
        params["ordering"] = target
        links[key] = {"query": params.urlencode(), "aria": direction, "icon": icon}
    return links
