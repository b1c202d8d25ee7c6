from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from pal.forms_region import MeasureRulesFormMixin
from pal.models import (
    PIP,
    CompetenceCertification,
    Dote,
    Measure,
    Network,
    NetworkMember,
    Operator,
    OperatorOffice,
    PIPService,
    PIPTransition,
    Qualification,
)
from workers.admin import IdentityReadsLoggedAdmin


class OperatorOfficeInline(admin.TabularInline):
    model = OperatorOffice
    extra = 0


@admin.register(Operator)
class OperatorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "accreditation_number", "is_public", "accredited_for_labour"]
    list_filter = ["is_public", "accredited_for_labour", "accredited_for_training"]
    search_fields = ["name", "accreditation_number"]
    inlines = [OperatorOfficeInline]


class MeasureAdminForm(MeasureRulesFormMixin):
    class Meta:
        model = Measure
        fields = "__all__"


@admin.register(Measure)
class MeasureAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "funding_source",
        "valid_from",
        "valid_until",
        "max_per_worker",
        "max_per_company",
        "exclusive",
        "is_active",
    ]
    list_filter = ["funding_source", "exclusive", "is_active"]
    search_fields = ["name", "code"]
    form = MeasureAdminForm
    filter_horizontal = ["incompatible_with"]


@admin.register(Dote)
class DoteAdmin(IdentityReadsLoggedAdmin, SimpleHistoryAdmin):
    identity_worker_path = "involvement__worker"  # the change page shows the involvement
    list_display = ["id", "measure", "operator", "value", "status", "valid_from", "valid_until"]
    list_filter = ["status", "measure", "operator"]
    raw_id_fields = ["involvement"]


class PIPServiceInline(admin.TabularInline):
    model = PIPService
    extra = 0


class PIPTransitionInline(admin.TabularInline):
    model = PIPTransition
    extra = 0
    readonly_fields = ["from_status", "to_status", "at", "by", "note"]
    can_delete = False


@admin.register(PIP)
class PIPAdmin(SimpleHistoryAdmin):
    list_display = ["id", "dote", "status", "submitted_at", "decided_at"]
    list_filter = ["status"]
    raw_id_fields = ["dote"]
    inlines = [PIPServiceInline, PIPTransitionInline]


class NetworkMemberInline(admin.TabularInline):
    model = NetworkMember
    extra = 0


@admin.register(Network)
class NetworkAdmin(SimpleHistoryAdmin):
    list_display = ["name", "lead", "province", "measure", "valid_from", "valid_until"]
    list_filter = ["province", "measure"]
    inlines = [NetworkMemberInline]
    filter_horizontal = ["procedures", "cohorts"]


@admin.register(Qualification)
class QualificationAdmin(SimpleHistoryAdmin):
    """The Region edits the catalogue here; ``manage.py import_qualifications`` loads its
    export."""

    list_display = ["code", "title", "eqf_level", "framework", "is_active"]
    list_filter = ["framework", "eqf_level", "is_active"]
    search_fields = ["code", "title"]


@admin.register(CompetenceCertification)
class CompetenceCertificationAdmin(IdentityReadsLoggedAdmin, SimpleHistoryAdmin):
    list_display = ["title", "worker", "operator", "certified_on"]
    raw_id_fields = ["worker", "pip", "qualification"]
