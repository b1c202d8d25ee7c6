"""The one refusal-to-form handler (``crisi_portal.forms.add_refusal``) every HTML view uses:
a service's refusal lands on the field it names, or on top of the form."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError

from crisi_portal.errors import DomainError
from crisi_portal.forms import add_refusal


class PlanForm(forms.Form):
    value = forms.DecimalField(required=False)
    scope = forms.CharField(required=False)


def bound_form() -> PlanForm:
    form = PlanForm(data={})
    assert form.is_valid()
    return form


def test_a_domain_refusal_lands_on_the_field_it_names():
    form = bound_form()
    add_refusal(form, DomainError("Over the Dote's budget.", field="value"))
    assert form.errors == {"value": ["Over the Dote's budget."]}


def test_a_field_the_form_calls_otherwise_is_renamed():
    form = bound_form()
    add_refusal(form, DomainError("Not yours.", field="province"), field_map={"province": "scope"})
    assert form.errors == {"scope": ["Not yours."]}


def test_a_field_the_form_lacks_puts_the_refusal_on_top():
    form = bound_form()
    add_refusal(form, DomainError("Closed procedure.", field="procedure"))
    assert form.non_field_errors() == ["Closed procedure."]


def test_a_validation_error_lands_on_each_field_it_names():
    form = bound_form()
    add_refusal(form, ValidationError({"value": "Too much.", "other": "Elsewhere."}))
    assert form.errors["value"] == ["Too much."]
    assert form.non_field_errors() == ["Elsewhere."]


def test_a_permission_refusal_goes_on_top_with_its_text_or_the_fallback():
    form = bound_form()
    add_refusal(form, PermissionDenied("Not in your province."))
    add_refusal(form, PermissionDenied(), fallback="You cannot move this worker.")
    assert form.non_field_errors() == ["Not in your province.", "You cannot move this worker."]
