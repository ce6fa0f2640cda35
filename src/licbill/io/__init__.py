"""licbill's edges: presentation and file formats, built on the rules, never the reverse.

``display`` (localised money and dates, records, data frames, HTML), ``tables`` (text tables),
``recon`` (the reconciliation CSV), ``reports`` (workspace reports and their CSVs),
``scenarios`` (TOML scenario files), ``convert`` (plain data and JSON), ``demo`` and ``cli``
(the ``licbill`` command). See docs/architecture.md.
"""
