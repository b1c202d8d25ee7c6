from django.urls import path

from monitoring.views import cruscotto, dashboard, operators, plans, reports

app_name = "monitoring"

urlpatterns: list = [
    # --- dashboard ---
    path("dashboard/", dashboard.DashboardView.as_view(), name="dashboard"),
    path("dashboard.csv", dashboard.DashboardCsvView.as_view(), name="dashboard_csv"),
    # --- cruscotto ---
    path("cruscotto/", cruscotto.CruscottoView.as_view(), name="cruscotto"),
    path("cruscotto.csv", cruscotto.CruscottoCsvView.as_view(), name="cruscotto_csv"),
    # --- operators' results ---
    path("operators/", operators.OperatorResultsView.as_view(), name="operator_results"),
    path(
        "operators/download/",
        operators.OperatorResultsExportView.as_view(),
        name="operator_results_export",
    ),
    # --- report archive ---
    path("reports/", reports.ReportListView.as_view(), name="report_list"),
    path("reports/<int:pk>/", reports.ReportDetailView.as_view(), name="report_detail"),
    path("reports/<int:pk>/status/", reports.ReportStatusView.as_view(), name="report_status"),
    path(
        "reports/<int:pk>/download/", reports.ReportDownloadView.as_view(), name="report_download"
    ),
    path("reports/<int:pk>/rerun/", reports.ReportRerunView.as_view(), name="report_rerun"),
    # --- provincial re-employment plans ---
    path("plans/", plans.PlanListView.as_view(), name="plan_list"),
    path("plans/new/", plans.PlanCreateView.as_view(), name="plan_create"),
    path("plans/<int:pk>/", plans.PlanDetailView.as_view(), name="plan_detail"),
    path("plans/<int:pk>/edit/", plans.PlanUpdateView.as_view(), name="plan_update"),
]
