"""Conformance: every published number against the engine, and a model against its paper.

* :mod:`.policy`: what each published source counts (``sources.csv``) and which variant a
  paper version's rows start from (``version_variants.csv``);
* :mod:`.cells`: a published cell (:class:`CellResult`) and its statuses;
* :mod:`.search`: the published-cell search (:func:`check_published`);
* :mod:`.paper_tables`: the papers' tables that are not model entries (V1 Tables 2 and 3,
  TF-slim's per-layer table);
* :mod:`.reading`: a counted model read as stem, blocks, last convolutions and head;
* :mod:`.compare`: that reading against a paper's, part by part (:class:`Deviation`);
* :mod:`.model`: :func:`check_model`, a model against its paper (:class:`ModelCheck`);
* :mod:`.render`: text, CSV, Markdown, LaTeX and JSON of all of these.
"""

from .cells import STATUSES, CellResult, parse_statuses, status_counts
from .compare import DEVIATION_KINDS, Deviation, compare
from .model import ModelCheck, check_model, paper_versions
from .policy import source_policy, version_variant
from .reading import Architecture, architecture
from .render import conformance_markdown, published_text, summary_line
from .search import check_published

__all__ = ["STATUSES", "CellResult", "parse_statuses", "status_counts", "DEVIATION_KINDS",
           "Deviation", "compare", "ModelCheck", "check_model", "paper_versions",
           "source_policy", "version_variant", "Architecture", "architecture",
           "conformance_markdown", "published_text", "summary_line", "check_published"]
