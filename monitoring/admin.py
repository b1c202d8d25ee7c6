from django.contrib import admin

from monitoring.models import ReportContact, ReportRun


@admin.register(ReportContact)
class ReportContactAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "province", "is_active"]
    list_filter = ["province", "is_active"]
    search_fields = ["name", "email"]


@admin.register(ReportRun)
class ReportRunAdmin(admin.ModelAdmin):
    """Read-only: runs are produced by the engine, and versions are never edited."""

    list_display = ["__str__", "format", "status", "attempts", "triggered_by", "requested_at"]
    list_filter = ["kind", "status", "format", "triggered_by", "province"]
    date_hierarchy = "requested_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
