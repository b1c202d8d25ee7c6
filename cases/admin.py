from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from cases import services
from cases.models import (
    Agreement,
    Company,
    CompanyChangeProposal,
    Cpi,
    CpiMunicipality,
    CrisisProcedure,
    Meeting,
    ProductionUnit,
    Province,
    fold_name,
)


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "position"]
    ordering = ["position"]

    def has_delete_permission(self, request, obj=None):
        return False  # reference data the reports rely on


@admin.register(Cpi)
class CpiAdmin(admin.ModelAdmin):
    """Lombardy's CPIs (reference data of migration 0011; see its docstring for the sources)."""

    list_display = ["code", "name", "province", "comune"]
    list_filter = ["province"]
    search_fields = ["code", "name", "comune"]

    def has_delete_permission(self, request, obj=None):
        return False  # units and workers point to them


@admin.register(CpiMunicipality)
class CpiMunicipalityAdmin(admin.ModelAdmin):
    """Which CPI serves each municipality; ``derived`` rows came from the fallback rule."""

    list_display = ["name", "istat_code", "province", "cpi", "derived"]
    list_filter = ["province", "derived"]
    search_fields = ["name", "istat_code"]
    list_select_related = ["province", "cpi"]
    readonly_fields = ["name_key"]

    def save_model(self, request, obj, form, change):
        obj.name_key = fold_name(obj.name)
        obj.derived = False  # chosen by a person: no longer the fallback's
        super().save_model(request, obj, form, change)


@admin.register(Company)
class CompanyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "tax_code", "ateco_code", "kind"]
    search_fields = ["name", "tax_code"]
    list_filter = ["kind"]


class ProductionUnitInlineForm(forms.ModelForm):
    """Refuses to delete a unit with workers before Django's check would list them by name."""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("DELETE") and self.instance.pk and self.instance.involvements.exists():
            cleaned["DELETE"] = False
            raise ValidationError(
                _(
                    "The production unit still has workers taken in charge: move them to "
                    "another unit first. Nothing was deleted."
                )
            )
        return cleaned


class ProductionUnitInline(admin.TabularInline):
    model = ProductionUnit
    form = ProductionUnitInlineForm
    extra = 0
    fields = ["external_id", "name", "comune", "province", "workers_involved", "cpi", "cpi_chosen"]


@admin.register(CrisisProcedure)
class CrisisProcedureAdmin(SimpleHistoryAdmin):
    list_display = ["external_id", "company", "family", "status", "lead_province", "opened_on"]
    list_filter = ["family", "status", "lead_province", "high_complexity"]
    search_fields = ["external_id", "company__name", "company__tax_code"]
    list_select_related = ["company", "lead_province"]
    autocomplete_fields = ["company"]
    date_hierarchy = "opened_on"
    inlines = [ProductionUnitInline]


@admin.register(Meeting)
class MeetingAdmin(SimpleHistoryAdmin):
    list_display = ["date", "kind", "province"]
    list_filter = ["kind", "province"]
    filter_horizontal = ["procedures"]
    date_hierarchy = "date"


@admin.register(CompanyChangeProposal)
class CompanyChangeProposalAdmin(admin.ModelAdmin):
    """Changes to shared company records asked by provinces that may not make them."""

    list_display = [
        "company",
        "name",
        "ateco_code",
        "kind",
        "proposed_by",
        "proposed_at",
        "decision",
    ]
    list_filter = ["decision"]
    list_select_related = ["company", "proposed_by"]
    readonly_fields = [
        "company",
        "name",
        "ateco_code",
        "kind",
        "proposed_by",
        "proposed_at",
        "decision",
        "decided_by",
        "decided_at",
    ]
    actions = ["accept", "reject"]

    def has_add_permission(self, request):
        return False

    def _decide(self, request, queryset, accept: bool) -> None:
        decided = 0
        for proposal in queryset.filter(decision=CompanyChangeProposal.Decision.PENDING):
            services.company_proposal_decide(user=request.user, proposal=proposal, accept=accept)
            decided += 1
        self.message_user(
            request,
            ngettext("%(n)d proposal decided.", "%(n)d proposals decided.", decided)
            % {"n": decided},
            messages.SUCCESS,
        )

    @admin.action(description=_("Accept: apply the proposed details to the company"))
    def accept(self, request, queryset):
        self._decide(request, queryset, accept=True)

    @admin.action(description=_("Reject: keep the company as it is"))
    def reject(self, request, queryset):
        self._decide(request, queryset, accept=False)


@admin.register(Agreement)
class AgreementAdmin(SimpleHistoryAdmin):
    list_display = ["procedure", "kind", "signed_on", "workers_covered", "outplacement"]
    list_filter = ["kind", "goal_keep_job", "goal_retrain", "goal_reemploy", "outplacement"]
    raw_id_fields = ["procedure"]
