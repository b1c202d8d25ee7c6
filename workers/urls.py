from django.urls import path

from workers import communication_views, views

app_name = "workers"

urlpatterns = [
    path(
        "procedures/<int:pk>/workers/",
        views.ProcedureWorkersView.as_view(),
        name="procedure_workers",
    ),
    path(
        "procedures/<int:pk>/workers/export/",
        views.ProcedureWorkersExportView.as_view(),
        name="procedure_workers_export",
    ),
    path(
        "procedures/<int:pk>/workers/import/",
        views.WorkerImportView.as_view(),
        name="worker_import",
    ),
    path(
        "workers/income-support/import/",
        views.IncomeSupportImportView.as_view(),
        name="income_support_import",
    ),
    path(
        "procedures/<int:pk>/cohorts/new/", views.CohortCreateView.as_view(), name="cohort_create"
    ),
    path("workers/search/", views.WorkerSearchView.as_view(), name="worker_search"),
    path("cohorts/<int:pk>/", views.CohortDetailView.as_view(), name="cohort_detail"),
    path("workers/<int:pk>/", views.WorkerDetailView.as_view(), name="worker_detail"),
    path("workers/<int:pk>/edit/", views.WorkerPersonalView.as_view(), name="worker_personal"),
    path(
        "workers/involvements/<int:pk>/move/",
        views.InvolvementMoveView.as_view(),
        name="involvement_move",
    ),
    path(
        "communications/",
        communication_views.ProposalQueueView.as_view(),
        name="communications_queue",
    ),
    path(
        "communications/import/",
        communication_views.CommunicationsImportView.as_view(),
        name="communications_import",
    ),
    path(
        "communications/batches/<int:pk>/",
        communication_views.CommunicationsBatchView.as_view(),
        name="communications_batch",
    ),
    path(
        "workers/involvements/<int:pk>/outcome/",
        views.OutcomeView.as_view(),
        name="outcome_record",
    ),
]
