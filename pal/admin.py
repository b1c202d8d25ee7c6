from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from pal.models import Operator


@admin.register(Operator)
class OperatorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "accreditation_number", "is_public", "accredited_for_labour"]
    list_filter = ["is_public", "accredited_for_labour", "accredited_for_training"]
    search_fields = ["name", "accreditation_number"]
