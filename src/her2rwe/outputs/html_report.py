"""The study report a co-author reads: one self-contained HTML file per study
(results/{study}/report.html) that works offline.

A landing section (title, citation, design, the key results, the reproduction status), every
shareable table as a formatted HTML table (the formatted Markdown version of a table where one
exists, else its CSV with numbers rounded for display), every figure (PNG embedded as
base64) with its caption, and the methods paragraph. Everything is read from the run's shareable
outputs; nothing is recomputed. The page has no script and loads nothing from the network. The same
inputs give byte-identical files (fixed table ids, sorted inputs).

No pandas at import time (Snakemake imports this module while parsing).
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from her2rwe import formatting as fmt
from her2rwe.formatting import LevelLabels
from her2rwe.outputs.report import MarkdownTable, parse_markdown_tables

_P_COLUMN = re.compile(r"(^p$|_p$|^p_)")
# a cell of words (a description, a note) wraps and reads left-aligned; numbers stay on one line
_WORDS = re.compile(r"[A-Za-z]{3,}\s+[A-Za-z]")
_TEXT = ' class="text"'

# Titles of the shareable CSV tables that have no formatted (Markdown) version.
CSV_TITLES = {
    "attrition": "Attrition: rows read, excluded and analysed, by arm",
    "landmarks": "Landmark survival rates",
    "subgroup_survival": "Survival by subgroup",
    "balance": "Covariate balance before and after adjustment",
    "adjusted_comparisons": "Adjusted comparisons",
    "adjusted_survival": "Adjusted (weighted) survival",
    "adjusted_attrition": "Adjusted comparison: complete cases",
    "treatment_sequences": "Treatment sequences",
    "outcomes_by_line": "Outcomes by line of therapy",
    "reproduction": "Published targets and the reproduced values",
}
# Captions of figures that have no report caption template of their own.
PLAIN_CAPTIONS = {
    "flow": "Selection of the index line of therapy: patients and lines at each step.",
    "sequences": "Treatment sequences: the most common orders of regimens across lines.",
}


def csv_title(stem: str) -> str:
    return CSV_TITLES[stem] if stem in CSV_TITLES else stem.replace("_", " ").capitalize()


def render_caption(
    template: str, study: Mapping[str, Any], study_name: str, methods: Mapping[str, Any]
) -> str:
    """A figure caption template of the Snakemake report (workflow/report/*.rst, Jinja) rendered as
    Snakemake renders it, as plain text (RST escapes undone, lines joined)."""
    import jinja2

    env = jinja2.Environment(autoescape=False)
    context = {"params": {"study": study, "methods": methods}, "wildcards": {"study": study_name}}
    text = env.from_string(template).render(snakemake=context)
    return " ".join(text.replace("\\|", "|").split())


@dataclass
class ReportTable:
    """One table of the report: a title, the header, rows of text cells and footnotes."""

    title: str
    header: list[str]
    rows: list[list[str]]
    footnotes: list[str] = field(default_factory=list)
    source: str = ""  # the file under results/{study}/ it was read from


@dataclass
class ReportFigure:
    name: str
    png: bytes
    caption: str


# ------------------------------------------------------------------------------------------------
# reading the outputs


def tables_from_markdown(text: str, source: str) -> list[ReportTable]:
    """The tables of a Markdown file written by formatting.markdown_table (empty tables dropped)."""
    out = []
    for t in parse_markdown_tables(text):
        if not t.rows:
            continue
        out.append(_from_markdown(t, source))
    return out


def _from_markdown(t: MarkdownTable, source: str) -> ReportTable:
    width = len(t.header)
    rows = [(row + [""] * width)[:width] for row in t.rows]
    return ReportTable(t.title or Path(source).stem, list(t.header), rows, list(t.footnotes), source)


def read_csv(path: str | Path) -> tuple[list[str], list[list[str]]]:
    """A CSV as its header and rows of text (no DataFrame: this job reads tables only to show them)."""
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        return header, [row for row in reader]


def records(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[dict[str, str]]:
    return [dict(zip(header, row, strict=False)) for row in rows]


def _cell(value: str, column: str) -> str:
    """A CSV cell for display: text as it is (a masked count `<11` included), integers and numbers
    of at most 3 decimals as written, p-values as p-values, other numbers to 3 decimals (1 decimal
    from 100 on)."""
    try:
        number = float(value)
    except ValueError:
        return value
    if number != number or number in (float("inf"), float("-inf")):
        return value
    if _P_COLUMN.search(column):
        return fmt.fmt_p(number)
    if re.fullmatch(r"[+-]?\d+(\.\d{1,3})?", value.strip()):
        return value.strip()
    return fmt.fmt_num(number, 1 if abs(number) >= 100 else 3)


def table_from_csv(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    title: str,
    source: str,
    labels: LevelLabels | None = None,
) -> ReportTable:
    """A shareable CSV without a formatted version: columns named as in the file, numbers rounded
    for display (the CSV keeps every digit), arms by their display names (``labels``)."""
    width = len(header)
    name_of = (labels or LevelLabels({})).arm
    cells = [
        [
            name_of(v) if c in ("arm", "reference") else _cell(v, c)
            for v, c in zip((list(row) + [""] * width)[:width], header, strict=True)
        ]
        for row in rows
    ]
    note = f"Numbers rounded for display; {source} has every digit."
    return ReportTable(title, list(header), cells, [note], source)


def split_summary(text: str) -> dict[str, str]:
    """The sections of summary.md by their `## ` heading (Results, Methods), as Markdown text."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    return {k: "\n".join(v).strip() for k, v in sections.items()}


# ------------------------------------------------------------------------------------------------
# rendering


def _paragraphs(text: str) -> str:
    """Markdown paragraphs as HTML: blank lines split them; `_text_` is italic."""
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        if not block.strip():
            continue
        inner = html.escape(" ".join(block.split()))
        inner = re.sub(r"(?<![\w])_(.+?)_(?![\w])", r"<em>\1</em>", inner)
        out.append(f"<p>{inner}</p>")
    return "\n".join(out)


def arm_spanners(header: Sequence[str], arms: Sequence[str]) -> list[tuple[str, list[int], list[str]]]:
    """Arm spanners for columns named '<arm> ...' or '<arm> (N = n) ...': (label, column
    positions, the columns' own labels). Only runs of two or more columns of one arm span."""
    found: dict[str, tuple[str, list[int], list[str]]] = {}
    for i, name in enumerate(header[1:], start=1):
        for arm in sorted(arms, key=len, reverse=True):
            m = re.match(rf"^{re.escape(arm)}( \(N = [^)]*\))? (.+)$", name)
            if m:
                label, positions, labels = found.get(arm, (arm, [], []))
                if m.group(1):
                    label = arm + m.group(1)
                found[arm] = (label, [*positions, i], [*labels, m.group(2)])
                break
    return [v for v in found.values() if len(v[1]) > 1]


def table_html(table: ReportTable, number: int, arms: Sequence[str] = ()) -> str:
    """One table as a semantic HTML table: numbered caption above, column headers (arm headers
    spanning their columns), body, footnotes in the table foot; every cell escaped."""
    esc = html.escape
    width = len(table.header)
    spans = arm_spanners(table.header, arms)
    own = list(table.header)
    owner: dict[int, tuple[str, int]] = {}
    for label, positions, labels in spans:
        owner[positions[0]] = (label, len(positions))
        for i, text in zip(positions, labels, strict=True):
            own[i] = text
            if i != positions[0]:
                owner[i] = ("", 0)
    out = [
        f'<table id="her2rwe-table-{number}" class="her2rwe">',
        f"<caption><strong>Table {number}.</strong> {esc(table.title)}</caption>",
        "<thead>",
    ]
    if spans:
        cells = []
        for i in range(width):
            label, n = owner.get(i, (None, 1))
            if label is None:
                cells.append('<th scope="col" class="blank"></th>')
            elif n:
                cells.append(f'<th scope="colgroup" colspan="{n}" class="spanner">{esc(label)}</th>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append(
        "<tr>" + "".join(f'<th scope="col">{esc(h)}</th>' for h in own) + "</tr>"
    )
    out += ["</thead>", "<tbody>"]
    for row in table.rows:
        first, rest = row[0], row[1:]
        out.append(
            f'<tr><th scope="row">{esc(first)}</th>'
            + "".join(f"<td{_TEXT if _WORDS.search(c) else ''}>{esc(c)}</td>" for c in rest)
            + "</tr>"
        )
    out.append("</tbody>")
    notes = [*table.footnotes, *([f"File: {table.source}"] if table.source else [])]
    if notes:
        out.append(
            f'<tfoot><tr><td colspan="{width}">'
            + "".join(f"<p>{esc(n)}</p>" for n in notes)
            + "</td></tr></tfoot>"
        )
    out.append("</table>")
    return "\n".join(out)


def figure_html(figure: ReportFigure, number: int) -> str:
    data = base64.b64encode(figure.png).decode("ascii")
    caption = html.escape(figure.caption)
    return (
        f'<figure id="figure-{number}" class="her2rwe-figure">'
        f'<img src="data:image/png;base64,{data}" alt="Figure {number}: {html.escape(figure.name)}">'
        f"<figcaption><strong>Figure {number}.</strong> {caption} "
        f"<span class=\"file\">(figures/{html.escape(figure.name)}.png)</span></figcaption></figure>"
    )


def reproduction_html(reproduction: Sequence[Mapping[str, str]] | None) -> str:
    """'53 of 53 published targets reproduced' and the targets that were not."""
    if reproduction is None:
        return "<p>This study has no published targets to reproduce.</p>"
    total = len(reproduction)
    failed = [r for r in reproduction if r["status"] != "pass"]
    text = f"<p><strong>{total - len(failed)} of {total}</strong> published targets reproduced"
    text += " (the last table lists each target).</p>" if total else ".</p>"
    if failed:
        items = "".join(
            f"<li>{html.escape(r['metric'])}: {html.escape(r['status'])}"
            f" ({html.escape(r['description'])})</li>"
            for r in failed
        )
        text += f"<p>Not reproduced:</p><ul>{items}</ul>"
    return text


_CSS = """
body { font-family: Arial, Helvetica, 'Liberation Sans', sans-serif; color: #222; margin: 0;
  line-height: 1.45; background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5em 2em 4em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
.citation { color: #444; }
.synthetic { background: #fff4d6; border: 1px solid #e0c060; padding: 0.4em 0.8em; }
dl.design { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1.2em; }
dl.design dt { font-weight: bold; }
dl.design dd { margin: 0; }
nav ol { columns: 2; }
.her2rwe-table { margin: 1.8em 0; overflow-x: auto; }
table.her2rwe { border-collapse: collapse; font-size: 13px; border-top: 2px solid #555;
  border-bottom: 2px solid #555; }
table.her2rwe caption { text-align: left; font-size: 15px; padding: 0 0 0.4em; caption-side: top; }
table.her2rwe th, table.her2rwe td { padding: 3px 8px; vertical-align: top; }
table.her2rwe thead th { text-align: right; border-bottom: 1px solid #555; font-weight: bold; }
table.her2rwe thead th:first-child { text-align: left; }
table.her2rwe thead th.spanner { text-align: center; border-bottom: 1px solid #999; }
table.her2rwe thead th.blank { border-bottom: none; }
table.her2rwe tbody th { text-align: left; font-weight: normal; }
table.her2rwe tbody td { text-align: right; white-space: nowrap; }
table.her2rwe tbody td.text { text-align: left; white-space: normal; min-width: 12em; }
table.her2rwe tbody tr:nth-child(even) { background: #f6f6f6; }
table.her2rwe tfoot td { font-size: 12px; color: #444; border-top: 1px solid #555; }
table.her2rwe tfoot p { margin: 0.15em 0; }
figure.her2rwe-figure { margin: 2em 0; }
figure.her2rwe-figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #333; }
.file { color: #777; }
footer { color: #666; font-size: 0.85em; margin-top: 3em; }
"""


def render_report(
    *,
    study_name: str,
    study: Mapping[str, Any],
    summary: str,
    design: Sequence[tuple[str, str]],
    tables: Sequence[ReportTable],
    figures: Sequence[ReportFigure],
    reproduction: Sequence[Mapping[str, str]] | None,
    arms: Sequence[str] = (),
) -> str:
    """The whole page as one string."""
    title = str(study.get("title") or study_name)
    sections = split_summary(summary)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        "<header>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if study.get("citation"):
        parts.append(f'<p class="citation">{html.escape(str(study["citation"]))}</p>')
    if study.get("synthetic"):
        parts.append(
            '<p class="synthetic">Synthetic data: no row describes a real patient.</p>'
        )
    parts.append("</header>")
    contents = [
        ("design", "Design"),
        ("key-results", "Key results"),
        ("reproduction", "Reproduction of the published results"),
        ("tables", f"Tables ({len(tables)})"),
        ("figures", f"Figures ({len(figures)})"),
        ("methods", "Methods"),
    ]
    parts.append(
        '<nav><ol>'
        + "".join(f'<li><a href="#{i}">{html.escape(t)}</a></li>' for i, t in contents)
        + "</ol></nav>"
    )
    parts.append('<section id="design"><h2>Design</h2><dl class="design">')
    parts += [f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in design]
    parts.append("</dl></section>")
    parts.append('<section id="key-results"><h2>Key results</h2>')
    parts.append(_paragraphs(sections.get("Results", "")) or "<p>No results.</p>")
    parts.append("</section>")
    parts.append('<section id="reproduction"><h2>Reproduction of the published results</h2>')
    parts.append(reproduction_html(reproduction))
    parts.append("</section>")
    parts.append('<section id="tables"><h2>Tables</h2>')
    parts.append(
        "<ol>"
        + "".join(
            f'<li><a href="#her2rwe-table-{n}">Table {n}. {html.escape(t.title)}</a></li>'
            for n, t in enumerate(tables, start=1)
        )
        + "</ol>"
    )
    for n, table in enumerate(tables, start=1):
        parts.append(f'<div class="her2rwe-table">{table_html(table, n, arms)}</div>')
    parts.append("</section>")
    parts.append('<section id="figures"><h2>Figures</h2>')
    parts += [figure_html(f, n) for n, f in enumerate(figures, start=1)]
    if not figures:
        parts.append("<p>No figures.</p>")
    parts.append("</section>")
    parts.append('<section id="methods"><h2>Methods</h2>')
    parts.append(_paragraphs(sections.get("Methods", "")) or "<p>No methods paragraph.</p>")
    parts.append("</section>")
    parts.append(
        f"<footer>{html.escape(study_name)}: written from the run's shareable outputs "
        "(results/" + html.escape(study_name) + "/); the CSV tables keep every digit.</footer>"
    )
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def design_items(
    study: Mapping[str, Any],
    attrition: Sequence[Mapping[str, str]],
    arms: Sequence[str],
    endpoint_labels: Mapping[str, str],
) -> list[tuple[str, str]]:
    """The design at a glance, from the config and the attrition table."""
    items = []
    source = "synthetic cohort" if study.get("synthetic") else "real-world cohort"
    if "records" in study:
        source += " (longitudinal records: patients, treatments, assessments)"
    items.append(("Data", source))
    analysed = analysed_patients(attrition)
    if analysed:
        items.append(("Patients analysed", analysed))
    if arms:
        reference = study["arms"].get("reference")
        name_of = LevelLabels.of(study).arm
        text = ", ".join(map(name_of, arms))
        if reference in arms and len(arms) > 1:
            text += f" (reference: {name_of(reference)})"
        items.append(("Arms" if len(arms) > 1 else "Arm", text))
    items.append(("Endpoints", "; ".join(endpoint_labels[e] for e in study["endpoints"])))
    subgroups = [str(s.get("label") or s["variable"]) for s in study["subgroups"]]
    if subgroups:
        items.append(("Subgroups", "; ".join(dict.fromkeys(subgroups))))
    if study.get("adjustment"):
        adj = study["adjustment"]
        items.append(
            (
                "Adjusted comparison",
                f"propensity-score weighting ({adj['estimand']}) on {', '.join(adj['covariates'])}",
            )
        )
    items.append(("Confidence intervals", fmt.ci_method_text(study["ci_method"], study["conf_level"])))
    return items


def analysed_patients(attrition: Sequence[Mapping[str, str]]) -> str:
    """The patients analysed, from the Total row of attrition.csv (a masked count as it is)."""
    total = [r["n"] for r in attrition if r["step"] == "analysed" and r["arm"] == "Total"]
    return total[0] if total else ""


def arms_in_order(survival: Sequence[Mapping[str, str]]) -> list[str]:
    """The arms as the survival table lists them (display order)."""
    return list(dict.fromkeys(r["group"] for r in survival if r["split"] == "arm"))


def build_study_report(
    name: str,
    study: Mapping[str, Any],
    root: str | Path,
    files: Mapping[str, Any],
    captions: Mapping[str, str | None],
    methods: Mapping[str, Any],
) -> tuple[str, int, int]:
    """The report page of one study from its output files (`files`: 'tables' in order, 'figures'
    {stem: png}, 'summary', 'reproduction' or None; paths as given, shown relative to `root`) and
    the caption template (its text) of each figure (None: a plain caption). Returns the page and
    how many tables and figures it shows."""
    from her2rwe.derive.endpoints import endpoint_name

    root = Path(root)
    tables: list[ReportTable] = []
    for path in files["tables"]:
        rel = Path(path).relative_to(root).as_posix()
        if str(path).endswith(".md"):
            tables += tables_from_markdown(Path(path).read_text(encoding="utf-8"), rel)
        else:
            header, rows = read_csv(path)
            if rows:
                title = csv_title(Path(path).stem)
                tables.append(table_from_csv(header, rows, title, rel, LevelLabels.of(study)))
    reproduction = None
    if files["reproduction"]:
        header, rows = read_csv(files["reproduction"])
        reproduction = records(header, rows)
        rel = Path(files["reproduction"]).relative_to(root).as_posix()
        tables.append(table_from_csv(header, rows, csv_title("reproduction"), rel))
    figures = []
    for stem, path in files["figures"].items():
        template = captions[stem]
        if template:
            caption = render_caption(template, study, name, methods)
        else:
            caption = PLAIN_CAPTIONS[stem] if stem in PLAIN_CAPTIONS else stem
        figures.append(ReportFigure(stem, Path(path).read_bytes(), caption))
    arms = arms_in_order(records(*read_csv(root / "tables" / "survival.csv")))
    attrition = records(*read_csv(root / "tables" / "attrition.csv"))
    labels = {ep: endpoint_name(study, ep) for ep in study["endpoints"]}
    page = render_report(
        study_name=name,
        study=study,
        summary=Path(files["summary"]).read_text(encoding="utf-8"),
        design=design_items(study, attrition, arms, labels),
        tables=tables,
        figures=figures,
        reproduction=reproduction,
        arms=[*map(LevelLabels.of(study).arm, arms), "Overall"],
    )
    return page, len(tables), len(figures)
