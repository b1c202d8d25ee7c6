from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from crisi_portal.roles import Role


class User(AbstractUser):
    """A person or a system using the portal; what they see follows from role and scope."""

    role = models.CharField(_("role"), max_length=20, choices=Role, default=Role.PROVINCE_STAFF)
    provinces = models.ManyToManyField(
        "cases.Province",
        verbose_name=_("provinces"),
        blank=True,
        related_name="users",
        help_text=_("For province staff and API clients: the provinces whose data they see."),
    )
    operator = models.ForeignKey(
        "pal.Operator",
        verbose_name=_("accredited operator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        help_text=_("For operator staff: the organisation they work for."),
    )

    class Meta(AbstractUser.Meta):
        permissions = [
            ("view_personal_data", _("Can see workers' identities (every view is logged)")),
        ]

    def clean(self) -> None:
        super().clean()
        if self.role == Role.OPERATOR and not self.operator_id:
            raise ValidationError({"operator": _("Operator staff must belong to an operator.")})
        if self.role != Role.OPERATOR and self.operator_id:
            raise ValidationError({"operator": _("Only operator staff belong to an operator.")})

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def is_region_official(self) -> bool:
        return self.role == Role.REGION_OFFICIAL

    @property
    def is_province_staff(self) -> bool:
        return self.role == Role.PROVINCE_STAFF

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR

    @cached_property
    def province_codes(self) -> frozenset[str]:
        """The provinces a province officer or a province-restricted API client acts in."""
        if not self.pk:
            return frozenset()
        return frozenset(self.provinces.values_list("code", flat=True))

    @property
    def sees_all_provinces(self) -> bool:
        if self.is_admin or self.is_region_official:
            return True
        # An API client without a province restriction reads the whole region.
        return self.role == Role.API_CLIENT and not self.province_codes

    @property
    def can_manage_procedures(self) -> bool:
        """May create procedures and import files (in their own provinces, for staff)."""
        return self.is_active and (self.is_admin or self.is_province_staff)

    @property
    def can_record_meetings(self) -> bool:
        """Staff record their Nucleo's meetings, Region officials the regional tables."""
        return self.is_active and (
            self.is_admin or self.is_province_staff or self.is_region_official
        )
