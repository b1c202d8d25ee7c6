"""Form helpers: Bootstrap Italia widgets and service errors shown on the right field."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.utils.translation import gettext as _

from crisi_portal.errors import DomainError
from crisi_portal.models import Channel, NotificationKind

# Django's own blank labels; its "- Select an option -" has no Italian translation yet.
DEFAULT_EMPTY_LABELS = ("", "---------", BLANK_CHOICE_LABEL)


class StyledFormMixin:
    """Gives every widget the Bootstrap Italia class it needs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            # A dash for "nothing chosen" reads the same in both languages.
            if isinstance(field, forms.ModelChoiceField):
                if field.empty_label in DEFAULT_EMPTY_LABELS:
                    field.empty_label = "—"
                    field.widget.choices = field.choices
            elif isinstance(field, forms.ChoiceField) and not isinstance(
                field, forms.MultipleChoiceField
            ):
                choices = list(field.choices)
                if choices and choices[0][0] == "" and str(choices[0][1]) in DEFAULT_EMPTY_LABELS:
                    field.choices = [("", "—"), *choices[1:]]
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            existing = widget.attrs.get("class", "")
            widget.attrs["class"] = f"{existing} {css}".strip()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def add_service_errors(form: forms.BaseForm, exc: ValidationError, field_map=None) -> None:
    """Attach a service's ValidationError to the form, on the fields it names when it can."""
    field_map = field_map or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        name = field_map.get(field, field)
        form.add_error(name if name in form.fields else None, errors)


def add_refusal(form: forms.BaseForm, exc: Exception, *, field_map=None, fallback=None) -> None:
    """A service's refusal on the form: on the field it names when the form has it, else on top.

    The one handler of every HTML view (STYLE.md, "errors are part of the interface"): a
    ``DomainError`` names its field, a ``ValidationError`` its fields, anything else (a
    ``PermissionDenied``) goes on top with its text, or ``fallback`` when it has none.
    ``field_map`` renames a service's field to the form's (``{"province": "scope"}``).
    """
    field_map = field_map or {}
    if isinstance(exc, DomainError):
        name = field_map.get(exc.field, exc.field)
        form.add_error(name if name in form.fields else None, exc.message)
    elif isinstance(exc, ValidationError):
        add_service_errors(form, exc, field_map)
    else:
        form.add_error(None, str(exc) or fallback or _("You cannot do this."))


class LoginForm(StyledFormMixin, AuthenticationForm):
    pass


class StyledPasswordChangeForm(StyledFormMixin, PasswordChangeForm):
    pass


def error_summary(*forms_and_formsets) -> list[dict]:
    """Every error of the given forms as {label, id, message}, for the summary on top."""
    items = []
    for item in forms_and_formsets:
        if not isinstance(item, forms.BaseForm | forms.BaseFormSet):
            continue  # a form the page does not have (the template passes "")
        if isinstance(item, forms.BaseFormSet):
            items.extend({"label": "", "id": "", "message": e} for e in item.non_form_errors())
            for form in item.forms:
                items.extend(error_summary(form))
            continue
        for name, errors in item.errors.items():
            field = item.fields.get(name)
            for message in errors:
                items.append(
                    {
                        "label": field.label if field else "",
                        "id": item[name].id_for_label if field else "",
                        "message": message,
                    }
                )
    return items


class NotificationPreferencesForm(StyledFormMixin, forms.Form):
    """One choice of channel per kind of notification, and the language of the e-mails."""

    def __init__(self, *args, channels: dict[str, str], language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"] = forms.ChoiceField(
            label=_("Language of the e-mails"), choices=settings.LANGUAGES, initial=language
        )
        for kind, label in NotificationKind.choices:
            self.fields[kind] = forms.ChoiceField(
                label=label, choices=Channel.choices, initial=channels[kind]
            )
        # The styling above ran before these fields existed.
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select")

    def channels(self) -> dict[str, str]:
        return {kind: self.cleaned_data[kind] for kind in NotificationKind.values}
