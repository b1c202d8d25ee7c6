from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from crisi_portal.identifiers import normalise_tax_code
from workers.models import (
    Cohort,
    Country,
    ExemptionReason,
    ImportProfile,
    Involvement,
    Outcome,
    PersonalDataAccess,
    StepTransition,
    Worker,
)
from workers.selectors import record_identity_reads


@admin.register(ExemptionReason)
class ExemptionReasonAdmin(admin.ModelAdmin):
    """The Region keeps this list: retire a reason (inactive) rather than deleting it."""

    list_display = ["label", "code", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["label", "code"]

    def has_delete_permission(self, request, obj=None):
        return False  # transitions point at reasons: history must keep its meaning


@admin.register(ImportProfile)
class ImportProfileAdmin(SimpleHistoryAdmin):
    """How each source writes an income-support list (issue #16): added and changed here, no
    code; the model's ``clean`` refuses, naming the field, what the importer could not follow.
    Retire a profile (inactive) rather than deleting it."""

    list_display = ["name", "slug", "source_kind", "hours_format", "is_active"]
    list_filter = ["source_kind", "is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fields = [
        "name",
        "slug",
        "source_kind",
        "source",
        "columns",
        "date_formats",
        "decimal_separator",
        "delimiter",
        "encoding",
        "hours_format",
        "income_support",
        "is_active",
    ]


class IdentityReadsLoggedAdmin:
    """Admin pages that show workers' identities write an access record per worker shown (§6).

    The Django admin is not scoped by province, so every read there is outside the worker's
    own province staff or operator and is logged: the change list (the page's rows), the
    change, delete and history pages. ``identity_worker_path`` leads from the model to its
    worker ("" for the worker itself).
    """

    identity_worker_path = "worker"

    def _worker_ids(self, pks) -> list[int]:
        if not self.identity_worker_path:
            return list(pks)
        return list(
            self.model._default_manager.filter(pk__in=list(pks)).values_list(
                self.identity_worker_path, flat=True
            )
        )

    def _log_reads(self, request, pks, page: str) -> None:
        ids = self._worker_ids(pks)
        if ids:
            record_identity_reads(
                request.user,
                ids,
                purpose=f"admin: {self.model._meta.model_name} {page}",
                path=request.path,
            )

    # Django's own admin log (LogEntry, "Recent actions") keeps str(obj): a worker's name. Keep
    # "worker #12" there instead.
    def _neutral_log_entries(self, entries):
        from django.contrib.admin.models import LogEntry

        entries = entries if isinstance(entries, list) else [entries]
        for entry in entries:
            if entry is not None and entry.pk:
                neutral = f"{self.model._meta.verbose_name} #{entry.object_id}"
                LogEntry.objects.filter(pk=entry.pk).update(object_repr=neutral)
                entry.object_repr = neutral
        return entries

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._neutral_log_entries(entry)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        self._neutral_log_entries(entry)
        return entry

    def log_deletions(self, request, queryset):
        entries = super().log_deletions(request, queryset)
        self._neutral_log_entries(list(entries))
        return entries

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", None) and response.context_data.get("cl")
        if changelist is not None and response.status_code == 200:
            self._log_reads(request, [obj.pk for obj in changelist.result_list], "list")
        return response

    def _log_object_read(self, request, object_id, response, page: str) -> None:
        if response.status_code == 200 and object_id is not None:
            obj = self.get_object(request, unquote(str(object_id)))
            if obj is not None:
                self._log_reads(request, [obj.pk], page)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        self._log_object_read(request, object_id, response, "change")
        return response

    def delete_view(self, request, object_id, extra_context=None):
        response = super().delete_view(request, object_id, extra_context)
        self._log_object_read(request, object_id, response, "delete")
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        self._log_object_read(request, object_id, response, "history")
        return response

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        response = super().history_form_view(request, object_id, version_id, extra_context)
        self._log_object_read(request, object_id, response, "history")
        return response


class WorkerFindForm(forms.Form):
    term = forms.CharField(
        label=gettext_lazy("Fiscal code or name"),
        max_length=100,
        help_text=gettext_lazy("Sent with POST: a fiscal code or a name never goes in a URL."),
    )


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    """Citizenships (reference data of migration 0009; see its docstring for the source)."""

    list_display = ["name", "istat_code", "iso_alpha2", "group", "eu_member"]
    list_filter = ["group"]
    search_fields = ["name", "istat_code", "iso_alpha2"]

    def has_delete_permission(self, request, obj=None):
        return False  # workers point to them


@admin.register(Worker)
class WorkerAdmin(IdentityReadsLoggedAdmin, SimpleHistoryAdmin):
    """No ``search_fields``: the change list's search is a GET (``?q=``), and names and fiscal
    codes in a query string end up in access logs and browser history. Workers are found with
    the POSTed form of ``find_view`` instead; its results link to change pages by id."""

    identity_worker_path = ""
    list_display = ["last_name", "first_name", "fiscal_code", "birth_date"]
    change_list_template = "admin/workers/worker/change_list.html"
    find_limit = 50

    def get_urls(self):
        find = path(
            "find/",
            self.admin_site.admin_view(self.find_view),
            name="workers_worker_find",
        )
        return [find, *super().get_urls()]

    def find_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = WorkerFindForm(request.POST if request.method == "POST" else None)
        results = None
        if form.is_valid():
            term = form.cleaned_data["term"]
            code = normalise_tax_code(term)
            condition = Q(fiscal_code=code)
            words = term.split()
            if words:
                names = Q()
                for word in words:
                    names &= Q(last_name__icontains=word) | Q(first_name__icontains=word)
                condition |= names
            results = list(Worker.objects.filter(condition)[: self.find_limit])
            self._log_reads(request, [w.pk for w in results], "find")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Find a worker"),
            "form": form,
            "results": results,
            "limit": self.find_limit,
        }
        return TemplateResponse(request, "admin/workers/worker/find.html", context)


@admin.register(Cohort)
class CohortAdmin(SimpleHistoryAdmin):
    list_display = ["name", "procedure", "unit"]
    raw_id_fields = ["procedure", "unit"]


class StepTransitionInline(admin.TabularInline):
    model = StepTransition
    extra = 0
    can_delete = False
    readonly_fields = [
        "from_step",
        "to_step",
        "kind",
        "effective_date",
        "recorded_at",
        "recorded_by",
        "reason",
        "exemption_reason",
        "measure",
    ]

    def has_add_permission(self, request, obj=None):
        return False  # steps change only through the step service


@admin.register(Involvement)
class InvolvementAdmin(IdentityReadsLoggedAdmin, SimpleHistoryAdmin):
    list_display = ["worker", "procedure", "unit", "current_step", "current_step_since"]
    list_filter = ["current_step", "income_support"]
    raw_id_fields = ["worker", "procedure", "unit", "cohort"]
    readonly_fields = ["current_step", "current_step_since"]
    inlines = [StepTransitionInline]


@admin.register(Outcome)
class OutcomeAdmin(IdentityReadsLoggedAdmin, SimpleHistoryAdmin):
    identity_worker_path = "involvement__worker"
    list_display = ["involvement", "kind", "date", "contract_kind", "contract_end", "source"]
    list_filter = ["kind", "contract_kind", "source"]
    raw_id_fields = ["involvement"]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    """The log of identity reads: readable, never editable."""

    # The worker by id: reading the log must not be one more read of identities.
    list_display = ["accessed_at", "user", "worker_id", "purpose", "path"]
    fields = ["accessed_at", "user", "worker_id", "purpose", "path"]
    readonly_fields = fields
    list_filter = ["purpose"]
    date_hierarchy = "accessed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
