"""Demo data and synthetic data at scale, from one package (the composition root: it may import
every app).

Two sizes, one set of reference data and helpers:

- the demo (``manage.py seed_demo``): the Region's 2024 figures as procedures
  (:mod:`.procedures`), the demo accounts (:mod:`.accounts`), workers in the step model
  (:mod:`.workers`), Doti, PIPs and networks through the PAL services (:mod:`.pal`) and the
  report contacts (:mod:`.monitoring`) — small, exact, loaded once and safe to run again;
- synthetic data (``manage.py generate_synthetic --workers N --seed S``): procedures, units,
  workers, involvements with their step histories, outcomes and Doti in the proportions of
  :mod:`.profile`, streamed in batches (:mod:`.synthetic`).

Both draw from :mod:`.reference` (places, sectors, names, reasons) and :mod:`.common` (the
deterministic random source and the helpers that split totals), and write the audit history
through :mod:`crisi_portal.history`.
"""
