"""The home page: each role's to-do list (``monitoring.todo``)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from monitoring.todo import todo_sections


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, sections=todo_sections(self.request.user))
