"""The benchmark of issue #12: ``manage.py benchmark --workers N --output results.json``.

Composition-level code (it imports every app): :mod:`.dataset` generates or reuses the data,
:mod:`.reports` and :mod:`.dashboard` hold the hand-written SQL each portal figure is
measured against, :mod:`.run` takes the measurements.
"""
