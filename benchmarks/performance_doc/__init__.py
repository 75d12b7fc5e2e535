"""docs/performance.md from the suite's reports: targets with floors and ratios, tables, plots.

Used by ``run_all.py``; ``render`` takes the gathered reports and returns the
markdown and the target table (also stored in ``all.json``). Every lookup is
tolerant: a benchmark that failed or is absent shows as "not measured", never
as a crash of the whole report.

One module per part of the report: :mod:`.document` (``render``: header,
target table, steps of the run, then the sections in order), :mod:`.targets`
(the target table's rows and verdicts), :mod:`.plots` (PNG figures),
:mod:`.values` and :mod:`.latency_rows` (lookups, formatting, the shared
latency table), and one module per section: :mod:`.analysis`,
:mod:`.changes`, :mod:`.floors`, :mod:`.e2e`, :mod:`.ticks`, :mod:`.fleet`,
:mod:`.executor`, :mod:`.brain`, :mod:`.mt5sim`, :mod:`.codec`, :mod:`.gui`,
:mod:`.bundle`, :mod:`.profiles`.
"""

from .document import render

__all__ = ["render"]
