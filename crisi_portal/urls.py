from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from crisi_portal import health, oidc, security, views
from crisi_portal.api import router
from crisi_portal.forms import LoginForm, StyledPasswordChangeForm
from monitoring.views.glossary import GlossaryView
from monitoring.views.todo import HomeView

# Swagger UI sets inline styles from its own (self-hosted) bundle; only this page allows
# them (no nonce in the list: a nonce would make browsers ignore unsafe-inline).
api_docs_view = csp_override({**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)

api_v1 = [
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", api_docs_view, name="api-docs"),
    path("guide/", views.api_guide, name="api-guide"),
    # ModI: /status, no trailing slash.
    path("status", health.ApiStatusView.as_view(), name="api-status"),
]

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("help/glossary/", GlossaryView.as_view(), name="glossary"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path("notifications/read/", views.notification_read_all, name="notification_read_all"),
    path(
        "notifications/preferences/",
        views.notification_preferences,
        name="notification_preferences",
    ),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path(
        "accounts/login/",
        security.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(form_class=StyledPasswordChangeForm),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # Single sign-on (404 unless OIDC_ENABLED).
    path("oidc/authenticate/", oidc.RequestView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.CallbackView.as_view(), name="oidc_authentication_callback"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("procedures/", include("cases.urls")),
    path("", include("workers.urls")),
    path("pal/", include("pal.urls")),
    path("monitoring/", include("monitoring.urls")),
    # Open data (issue #16 item 4): public, no login.
    path("open-data/", include("monitoring.urls_open_data")),
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
]

# Uploaded files (minutes) are never served from MEDIA_URL: they go through scoped views.

handler404 = "crisi_portal.views.page_not_found"
handler500 = "crisi_portal.views.server_error"
