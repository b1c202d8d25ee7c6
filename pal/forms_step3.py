"""Forms of the STEP 3 meetings: the meeting, the list filter and the attendance sheet."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Province
from crisi_portal.forms import DateInput, StyledFormMixin
from crisi_portal.scoping import acting_provinces
from pal.models import Attendance, Operator, Step3Meeting
from workers.models import Cohort


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


class CohortChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.procedure.company.name} · {obj.procedure.external_id}"


class Step3MeetingForm(StyledFormMixin, forms.ModelForm):
    """A STEP 3 meeting: the cohorts are those the user sees, the convening Nucleo one of the
    user's provinces, the presenters accredited operators."""

    cohorts = CohortChoiceField(
        label=_("Cohorts"),
        queryset=Cohort.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose cohorts from the list.")},
    )

    class Meta:
        model = Step3Meeting
        fields = [
            "province",
            "cohorts",
            "date",
            "start_time",
            "end_time",
            "place",
            "video_link",
            "capacity",
            "presenters",
            "notes",
        ]
        widgets = {
            "date": DateInput(),
            "start_time": TimeInput(),
            "end_time": TimeInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "presenters": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args, user=None, follow_up=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohorts"].queryset = (
            Cohort.objects.visible_to(user)
            .select_related("procedure__company")
            .order_by("procedure__company__name", "name")
        )
        if self.instance.pk:
            self.fields["cohorts"].initial = list(self.instance.cohorts.all())
        provinces = acting_provinces(user)
        if provinces is not None:
            self.fields["province"].queryset = Province.objects.filter(code__in=provinces)
        self.fields["province"].help_text = _("The Nucleo that convenes the meeting.")
        self.fields["presenters"].queryset = Operator.objects.filter(
            Q(accredited_for_labour=True) | Q(is_public=True)
        )
        self.fields["video_link"].help_text = _("Give a place, a video link, or both.")
        if follow_up:
            # A second meeting invites the workers it was made for, whatever its cohorts.
            self.fields["cohorts"].help_text = _(
                "Only the workers listed below are invited to this second meeting."
            )


class Step3FilterForm(StyledFormMixin, forms.Form):
    province = forms.ModelChoiceField(
        label=_("Province"), queryset=Province.objects.all(), required=False
    )
    date_after = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_before = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def narrow(self, meetings):
        if not self.is_valid():
            return meetings
        data = self.cleaned_data
        if data["province"]:
            meetings = meetings.filter(province=data["province"])
        if data["date_after"]:
            meetings = meetings.filter(date__gte=data["date_after"])
        if data["date_before"]:
            meetings = meetings.filter(date__lte=data["date_before"])
        return meetings


ATTENDANCE_CHOICES = [("", _("Not recorded")), *Attendance.choices]
