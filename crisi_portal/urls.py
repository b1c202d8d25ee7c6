from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from crisi_portal import health, views
from crisi_portal.api import router
from crisi_portal.forms import LoginForm

api_v1 = [
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("procedures/", include("cases.urls")),
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
]

# Uploaded files (minutes) are never served from MEDIA_URL: they go through scoped views.

handler404 = "crisi_portal.views.page_not_found"
handler500 = "crisi_portal.views.server_error"
