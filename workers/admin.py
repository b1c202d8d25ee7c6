from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from workers.models import (
    Cohort,
    ExemptionReason,
    Involvement,
    Outcome,
    PersonalDataAccess,
    StepTransition,
    Worker,
)


@admin.register(ExemptionReason)
class ExemptionReasonAdmin(admin.ModelAdmin):
    """The Region keeps this list: retire a reason (inactive) rather than deleting it."""

    list_display = ["label", "code", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["label", "code"]

    def has_delete_permission(self, request, obj=None):
        return False  # transitions point at reasons: history must keep its meaning


@admin.register(Worker)
class WorkerAdmin(SimpleHistoryAdmin):
    list_display = ["last_name", "first_name", "fiscal_code", "birth_date"]
    search_fields = ["last_name", "first_name", "=fiscal_code"]


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
class InvolvementAdmin(SimpleHistoryAdmin):
    list_display = ["worker", "procedure", "unit", "current_step", "current_step_since"]
    list_filter = ["current_step", "income_support"]
    raw_id_fields = ["worker", "procedure", "unit", "cohort"]
    readonly_fields = ["current_step", "current_step_since"]
    inlines = [StepTransitionInline]


@admin.register(Outcome)
class OutcomeAdmin(SimpleHistoryAdmin):
    list_display = ["involvement", "kind", "date", "contract_kind"]
    list_filter = ["kind", "contract_kind"]
    raw_id_fields = ["involvement"]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    """The log of identity reads: readable, never editable."""

    list_display = ["accessed_at", "user", "worker", "purpose", "path"]
    list_filter = ["purpose"]
    date_hierarchy = "accessed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
