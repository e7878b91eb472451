"""Manuscript tables as a DOCX a journal's production editor accepts (results/{study}/tables.docx).

- Page size A4 or Letter (`docx_page_size`), portrait; a table with more than 8 columns (after its
  empty columns are dropped) gets a landscape section of its own.
- Tables numbered, a list of tables at the top; each title above its table and kept with it.
- Column widths from the content: no column narrower than its longest word (a number cell such as
  ``65 (97.0%)`` counts as one word), the rest of the width shared by how much longer each
  column's cells are; the table fills the text width.
- Columns whose every cell is empty, ``-`` or a zero count are dropped (a footnote names those of
  zero counts); columns of one arm (``HP+C (N = 67) any
  grade``, ``HP+C grade 3-4``) sit under a spanning arm header; the header rows repeat on every page;
  horizontal rules only (top, below the header, bottom); footnotes under the table.
- Arial 9 pt (the journal's sans-serif); byte-identical for the same content (fixed core
  properties).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from her2rwe import io
from her2rwe.outputs.html_report import arm_spanners
from her2rwe.outputs.report import MarkdownTable

LANDSCAPE_ABOVE = 8  # columns
PAGE_SIZES_CM = {"A4": (21.0, 29.7), "Letter": (21.59, 27.94)}
MARGIN_CM = 2.0
FONT_PT = 9
CHAR_CM = FONT_PT * 0.55 / 28.35  # average Arial character at 9 pt
PAD_CM = 0.4  # left and right cell margins together
EMPTY = {"", "-"}
_ZERO = re.compile(r"^0( \(0(\.0+)?%\))?$")  # 0, or 0 (0.0%)
_NUMBERISH = re.compile(r"^[^A-Za-z]*$|^(NR|NE)\b")


def drop_empty_columns(table: MarkdownTable) -> tuple[MarkdownTable, list[str]]:
    """The table without its columns whose every body cell is empty, '-' or a zero count
    (``0 (0.0%)``), and the headers of the dropped columns that held zero counts."""
    width = len(table.header)
    rows = [(list(r) + [""] * width)[:width] for r in table.rows]
    keep = [0] + [
        j
        for j in range(1, width)
        if not all(r[j].strip() in EMPTY or _ZERO.match(r[j].strip()) for r in rows)
    ]
    # named in a footnote: the columns of zero counts (an all-empty column says nothing)
    dropped = [
        table.header[j]
        for j in range(width)
        if j not in keep and any(r[j].strip() not in EMPTY for r in rows)
    ]
    return (
        MarkdownTable(
            table.title,
            [table.header[j] for j in keep],
            [[r[j] for j in keep] for r in rows],
            list(table.footnotes),
        ),
        dropped,
    )


def _words(text: str) -> list[str]:
    """What may not break: a number-like cell as a whole, else its words."""
    text = text.strip()
    if not text:
        return [""]
    if _NUMBERISH.match(text):
        return [text]
    return text.split()


def column_widths(header: Sequence[str], rows: Sequence[Sequence[str]], available_cm: float) -> list[float]:
    """Widths in cm from the content, filling `available_cm` (see the module docstring)."""
    n = len(header)
    least = []
    wanted = []
    for j in range(n):
        cells = [r[j] for r in rows if j < len(r)]
        longest_word = max(len(w) for text in [header[j], *cells] for w in _words(text))
        longest_cell = max([len(c.strip()) for c in cells] + [len(w) for w in _words(header[j])])
        least.append(longest_word * CHAR_CM + PAD_CM)
        wanted.append(max(longest_word, longest_cell) * CHAR_CM + PAD_CM)
    if sum(wanted) <= available_cm:
        scale = available_cm / sum(wanted)
        return [w * scale for w in wanted]
    if sum(least) <= available_cm:
        extra = available_cm - sum(least)
        spread = [w - m for w, m in zip(wanted, least, strict=True)]
        return [m + extra * s / sum(spread) for m, s in zip(least, spread, strict=True)]
    scale = available_cm / sum(least)
    return [m * scale for m in least]


def _border(parent, tag: str, edges: Sequence[str], size: int = 8) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    box = OxmlElement(tag)
    for edge in edges:
        e = OxmlElement(f"w:{edge}")
        e.set(qn("w:val"), "single")
        e.set(qn("w:sz"), str(size))
        e.set(qn("w:space"), "0")
        e.set(qn("w:color"), "000000")
        box.append(e)
    parent.append(box)


def _header_row(row) -> None:
    """Repeat the row at the top of every page; never split it."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    for tag in ("w:tblHeader", "w:cantSplit"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), "true")
        tr_pr.append(el)


def _set_page(section, size: str, landscape: bool) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    short, long = PAGE_SIZES_CM[size]
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width = Cm(long if landscape else short)
    section.page_height = Cm(short if landscape else long)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(MARGIN_CM))


def _cell_text(cell, text: str, bold: bool = False, align=None) -> None:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.bold = bold
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.space_after = 0


def _add_table(document, table: MarkdownTable, number: int, available_cm: float, arms: Sequence[str]) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    title = document.add_paragraph()
    title.add_run(f"Table {number}. ").bold = True
    title.add_run(table.title or "")
    title.paragraph_format.keep_with_next = True
    title.paragraph_format.space_before = Pt(6)

    spans = arm_spanners(table.header, arms)
    own = list(table.header)
    for _, positions, labels in spans:
        for i, text in zip(positions, labels, strict=True):
            own[i] = text
    widths = column_widths(own, table.rows, available_cm)
    n_head = 2 if spans else 1
    grid = document.add_table(rows=n_head + len(table.rows), cols=len(own))
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    _border(grid._tbl.tblPr, "w:tblBorders", ("top", "bottom"), 8)
    rows = grid.rows
    right = WD_ALIGN_PARAGRAPH.RIGHT
    center = WD_ALIGN_PARAGRAPH.CENTER
    if spans:
        top = rows[0].cells
        for label, positions, _ in spans:
            merged = top[positions[0]].merge(top[positions[-1]])
            _cell_text(merged, label, bold=True, align=center)
            _border(merged._tc.get_or_add_tcPr(), "w:tcBorders", ("bottom",), 4)
        _header_row(rows[0])
    for j, (cell, text) in enumerate(zip(rows[n_head - 1].cells, own, strict=True)):
        _cell_text(cell, text, bold=True, align=None if j == 0 else right)
        _border(cell._tc.get_or_add_tcPr(), "w:tcBorders", ("bottom",), 6)
    _header_row(rows[n_head - 1])
    for k, (grid_row, values) in enumerate(zip(rows[n_head:], table.rows, strict=True)):
        for j, (cell, text) in enumerate(zip(grid_row.cells, values, strict=False)):
            _cell_text(cell, text, align=None if j == 0 else right)
            if k < 2:  # the title, the header and the first rows stay on one page
                cell.paragraphs[0].paragraph_format.keep_with_next = True
    for row in rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)
    for note in table.footnotes:
        paragraph = document.add_paragraph()
        run = paragraph.add_run(note)
        run.font.size = Pt(FONT_PT - 1)
        paragraph.paragraph_format.space_after = 0


def write_docx(
    tables: Sequence[MarkdownTable],
    path: str | Path,
    heading: str | None = None,
    intro: str | None = None,
    *,
    page_size: str,
    arms: Sequence[str] = (),
) -> None:
    """The manuscript tables as one DOCX (module docstring); byte-identical for the same content."""
    import datetime

    import docx
    from docx.enum.section import WD_SECTION
    from docx.shared import Pt

    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(FONT_PT)
    props = document.core_properties
    fixed = datetime.datetime(2000, 1, 1)
    props.created = fixed
    props.modified = fixed
    props.last_printed = fixed
    props.revision = 1
    props.author = "her2rwe"
    props.last_modified_by = "her2rwe"
    props.title = heading or ""
    _set_page(document.sections[0], page_size, landscape=False)
    if heading:
        document.add_heading(heading, level=1)
    if intro:
        document.add_paragraph(intro)
    shown = []
    for table in tables:
        kept, dropped = drop_empty_columns(table)
        if dropped:
            kept.footnotes.append(
                "Columns with no value or only zero counts are not shown: " + "; ".join(dropped) + "."
            )
        shown.append(kept)
    document.add_paragraph().add_run("Tables").bold = True
    for n, table in enumerate(shown, start=1):
        document.add_paragraph(f"Table {n}. {table.title or ''}".strip())
    short, long = PAGE_SIZES_CM[page_size]
    landscape_now = False
    for n, table in enumerate(shown, start=1):
        wide = len(table.header) > LANDSCAPE_ABOVE
        if wide != landscape_now:
            _set_page(document.add_section(WD_SECTION.NEW_PAGE), page_size, landscape=wide)
            landscape_now = wide
        available = (long if wide else short) - 2 * MARGIN_CM
        _add_table(document, table, n, available, arms)
    io.write_docx(document, path)
