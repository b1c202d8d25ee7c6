"""Report runs in any state, without going through the engine.

``ReportRunFactory(in_province="BG")``, ``ReportRunFactory(regional=True, ready=True)``:
a ready run has its document written to storage, with the size and checksum to match.
"""

import hashlib
import json
from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from cases.models import Province
from monitoring import services
from monitoring.enums import ReportFormat, ReportKind, RunStatus, Trigger
from monitoring.models import ReportRun


class ReportRunFactory(DjangoModelFactory):
    class Meta:
        model = ReportRun
        skip_postgeneration_save = True

    class Params:
        in_province = "BG"
        regional = factory.Trait(in_province=None, kind=ReportKind.ANNUAL, period="2025")
        running = factory.Trait(
            status=RunStatus.RUNNING,
            attempts=1,
            started_at=factory.LazyFunction(timezone.now),
        )
        ready = factory.Trait(
            status=RunStatus.SUCCEEDED,
            attempts=1,
            started_at=factory.LazyFunction(lambda: timezone.now() - timedelta(seconds=2)),
            finished_at=factory.LazyFunction(timezone.now),
            # Satisfies the checksum constraint on insert; the document then sets the real one.
            sha256="0" * 64,
        )
        failed = factory.Trait(
            status=RunStatus.FAILED,
            attempts=3,
            started_at=factory.LazyFunction(lambda: timezone.now() - timedelta(seconds=5)),
            finished_at=factory.LazyFunction(timezone.now),
            error="RuntimeError: the renderer stopped",
        )

    kind = ReportKind.QUARTERLY
    period = "2025-Q3"
    province = factory.LazyAttribute(
        lambda o: Province.objects.get(code=o.in_province) if o.in_province else None
    )
    format = ReportFormat.JSON
    version = 1
    status = RunStatus.QUEUED
    triggered_by = Trigger.SCHEDULE

    @factory.post_generation
    def document(self, create, extracted, **kwargs):
        """The stored file of a ready run (``document=b"..."`` to choose its bytes)."""
        if not create or self.status != RunStatus.SUCCEEDED:
            return
        content = extracted or (
            json.dumps({"kind": self.kind, "period": self.period, "v": self.version}).encode()
            + b"\n"
        )
        name, digest = services.report_run_store(self, content)
        assert digest == hashlib.sha256(content).hexdigest()
        ReportRun.objects.filter(pk=self.pk).update(file=name, size=len(content), sha256=digest)
        self.refresh_from_db()
