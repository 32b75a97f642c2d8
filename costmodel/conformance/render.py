"""Conformance results as text, CSV, Markdown, LaTeX and JSON: the published cells
(``costmodel check``), the report's conformance summary, and a model against its paper."""

from __future__ import annotations

from .cells import STATUSES, CellResult, format_value, status_counts


def summary_line(results: list[CellResult], skipped: int = 0) -> str:
    counts = status_counts(results)
    line = ", ".join(f"{n} {s}" for s, n in counts.items())
    if skipped:
        line += f" ({skipped} rows of other networks not checked)"
    return f"{len(results)} published cells: {line}"


def cells_frame(results: list[CellResult]):
    import pandas as pd
    return pd.DataFrame([{"source": r.source, "table": r.table, "version": r.version, "model": r.label,
                          "metric": r.metric, "published": r.published,
                          "computed": r.computed, "unit": r.unit, "status": r.status, "rule": r.rule,
                          "evidence": r.note} for r in results])


def published_text(results: list[CellResult], skipped: int, fmt: str = "text") -> str:
    """The published-cell check: one line (or row) per cell, then the status counts."""
    from ..report.tables import render
    counts = status_counts(results)
    last = summary_line(results, skipped)
    if fmt == "json":
        meta = {"counts": counts, "not_checked": skipped}
        return render(cells_frame(results), "json", meta=meta, key="cells")
    if fmt in ("csv", "latex", "markdown"):
        body = render(cells_frame(results), fmt)
        return body if fmt != "markdown" else body + "\n" + last + "\n"
    lines = []
    for r in results:
        got = format_value(r.computed, r.unit) if r.unit != "%" else ""
        lines.append(f"[{r.status}] {r.key}: {r.published}{'' if r.unit in ('1', '%') else r.unit}"
                     + (f" (engine {got})" if got else "") + f": {r.rule}")
        if r.note:
            lines.append(f"    {r.note}")
    lines.append(last)
    return "\n".join(lines) + "\n"


def conformance_markdown(results: list[CellResult] | None = None, skipped: int | None = None) -> list[str]:
    """The conformance summary for the report: status counts per source, the errata and the
    cells that remain unexplained."""
    if results is None:
        from .search import check_published
        results, skipped = check_published()
    by_source: dict[str, dict[str, int]] = {}
    for r in results:
        by_source.setdefault(r.source, {s: 0 for s in STATUSES})[r.status] += 1
    lines = ["| source | " + " | ".join(STATUSES) + " |", "|---|" + "---:|" * len(STATUSES)]
    for source, counts in by_source.items():
        lines.append(f"| {source} | " + " | ".join(str(counts[s]) for s in STATUSES) + " |")
    total = status_counts(results)
    lines.append("| **all** | " + " | ".join(f"**{total[s]}**" for s in STATUSES) + " |")
    lines += ["", summary_line(results, skipped or 0) + " (`costmodel check`)."]
    errata = [r for r in results if r.status == "erratum"]
    if errata:
        lines += ["", "Errata:", ""] + [f"- {r.key}: {r.rule}" for r in errata]
    unexplained = [r for r in results if r.status == "unexplained"]
    if unexplained:
        lines += ["", "Unexplained (no rule in the search reproduces them; the evidence is in the "
                      "repository README):", ""]
        lines += [f"- {r.key}: published {r.published}{'' if r.unit in ('1', '%') else r.unit}, "
                  f"the source's own rules give {format_value(r.computed, r.unit)}" for r in unexplained]
    return lines


def model_check_text(check) -> str:
    """A model check as lines: the totals, each deviation and allowed deviation with its
    effect, the paper version the model matches, and the verdict."""
    lines = [f"{check.model} against {check.paper} ({check.version}): "
             f"MAdds {check.madds[0]:,} vs {check.madds[1]:,} (paper convention), "
             f"params {check.params[0]:,} vs {check.params[1]:,} (weights, biases, batch norm)"]
    for d in check.deviations:
        lines.append(f"  deviation [{d.kind}] {d.line()}")
    for d in check.allowed:
        lines.append(f"  allowed [{d.kind}] {d.line()}")
    if check.matches:
        lines.append(f"  the model matches the paper's '{check.matches[0]}' version exactly")
    lines.append("conforms" + (f" (allowing {len(check.allowed)} named deviation(s))" if check.allowed else "")
                 if check.conforms else f"does not conform: {len(check.deviations)} deviation(s)")
    return "\n".join(lines) + "\n"


def model_check_dict(check) -> dict:
    return {"model": check.model, "paper": check.paper, "version": check.version,
            "conforms": check.conforms, "matches_version": check.matches,
            "madds": {"model": check.madds[0], "paper": check.madds[1]},
            "params": {"model": check.params[0], "paper": check.params[1]},
            "deviations": [vars(d) for d in check.deviations],
            "allowed": [vars(d) for d in check.allowed]}


def render_model_check(check, fmt: str = "text") -> str:
    """``json``: :func:`model_check_dict` as JSON; every other format: the text."""
    if fmt == "json":
        import json
        return json.dumps(model_check_dict(check), indent=2, ensure_ascii=False) + "\n"
    return model_check_text(check)
