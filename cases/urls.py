from django.urls import path

from cases import table_views, views

app_name = "cases"

urlpatterns = [
    path("", views.ProcedureListView.as_view(), name="procedure_list"),
    path("new/", views.ProcedureCreateView.as_view(), name="procedure_create"),
    path("import/", views.ProcedureImportView.as_view(), name="procedure_import"),
    path("export.csv", views.ProcedureExportView.as_view(), name="procedure_export"),
    path("<int:pk>/", views.ProcedureDetailView.as_view(), name="procedure_detail"),
    path("<int:pk>/edit/", views.ProcedureUpdateView.as_view(), name="procedure_update"),
    path("<int:pk>/units/new/", views.UnitCreateView.as_view(), name="unit_create"),
    path("units/<int:pk>/edit/", views.UnitUpdateView.as_view(), name="unit_update"),
    path(
        "<int:pk>/agreements/new/",
        views.AgreementFormView.as_view(creating=True),
        name="agreement_create",
    ),
    path("agreements/<int:pk>/edit/", views.AgreementFormView.as_view(), name="agreement_update"),
    path(
        "agreements/<int:pk>/document/",
        views.AgreementDocumentView.as_view(),
        name="agreement_document",
    ),
    path(
        "by-id/<str:external_id>/", views.procedure_detail_redirect, name="procedure_by_external_id"
    ),
    path("meetings/", views.MeetingListView.as_view(), name="meeting_list"),
    path("meetings/new/", views.MeetingFormView.as_view(), name="meeting_create"),
    path(
        "meetings/procedures/",
        views.MeetingProcedurePickerView.as_view(),
        name="meeting_procedure_picker",
    ),
    path("meetings/<int:pk>/", views.MeetingDetailView.as_view(), name="meeting_detail"),
    path("meetings/<int:pk>/edit/", views.MeetingFormView.as_view(), name="meeting_update"),
    path("meetings/<int:pk>/minutes/", views.MeetingMinutesView.as_view(), name="meeting_minutes"),
    path(
        "meetings/<int:pk>/agenda/", table_views.MeetingAgendaView.as_view(), name="meeting_agenda"
    ),
    path(
        "meetings/<int:pk>/participants/",
        table_views.MeetingParticipantsView.as_view(),
        name="meeting_participants",
    ),
    path(
        "meetings/<int:pk>/decisions/",
        table_views.MeetingDecisionsView.as_view(),
        name="meeting_decisions",
    ),
    path("meetings/calendar/", table_views.MeetingCalendarView.as_view(), name="meeting_calendar"),
    path(
        "meetings/calendar/list/",
        table_views.MeetingCalendarView.as_view(layout="list"),
        name="meeting_calendar_list",
    ),
    path(
        "meetings/calendar.ics",
        table_views.MeetingCalendarDownloadView.as_view(),
        name="meeting_calendar_ics",
    ),
    path(
        "meetings/calendar/subscription/",
        table_views.CalendarFeedView.as_view(),
        name="calendar_feed",
    ),
    path(
        "meetings/calendar/feed/<str:token>.ics",
        table_views.calendar_feed_ics,
        name="calendar_feed_ics",
    ),
]
