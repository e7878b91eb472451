"""Manuscript tables as a DOCX a journal's production editor accepts (results/{study}/tables.docx).

- Page size A4 or Letter (`docx_page_size`), portrait; a table with more than 8 columns (after its
  empty columns are dropped) gets a landscape section of its own.
- Tables numbered, a list of tables at the top; each title above its table and kept with it.
- Column widths from the content, measured with Arial's advance widths (outputs/docx_fonts.py):
  no column narrower than its longest word (header words in bold; a number cell such as
  ``65 (97.0%)`` counts as one word while the page allows, else its words), the rest of the width
  shared by how much longer each column's cells are; the table fills the text width. The widths go
  into the table grid (LibreOffice lays a table out by its grid alone), with a fixed layout and
  explicit cell margins. A table whose longest words do not fit at 9 pt is set at 8 or 7 pt.
- Columns whose every cell is empty, ``-`` or a zero count are dropped (a footnote names those of
  zero counts); columns of one arm (``HP+C (N = 67) any
  grade``, ``HP+C grade 3-4``) sit under a spanning arm header; the header rows repeat on every page;
  horizontal rules only (top, below the header, bottom); footnotes under the table.
- Arial 9 pt (the journal's sans-serif), headings too, with an embedded metric-compatible fallback
  (outputs/docx_fonts.py); byte-identical for the same content (fixed core properties, font keys
  from the font bytes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from her2rwe import io
from her2rwe.outputs.docx_fonts import embed_fonts, text_width_cm
from her2rwe.outputs.html_report import arm_spanners
from her2rwe.outputs.report import MarkdownTable

LANDSCAPE_ABOVE = 8  # columns
PAGE_SIZES_CM = {"A4": (21.0, 29.7), "Letter": (21.59, 27.94)}
MARGIN_CM = 2.0
FONT_NAME = "Arial"  # Liberation Sans as its alternate, embedded (outputs/docx_fonts.py)
FONT_PT = 9
FONT_SIZES = (FONT_PT, 8, 7)  # a table too wide for the body size is set smaller, never split
CELL_MARGIN_DXA = 108  # left and right cell margins, each (0.19 cm, Word's default)
TWIPS_PER_CM = 1440 / 2.54
# both cell margins, and 0.1 cm to spare for rounding to twips and renderers' own rounding
PAD_CM = 2 * CELL_MARGIN_DXA / TWIPS_PER_CM + 0.1
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


def _words(text: str, whole_numbers: bool = True) -> list[str]:
    """What may not break: a number-like cell as a whole (`whole_numbers`), else its words."""
    text = text.strip()
    if not text:
        return [""]
    if whole_numbers and _NUMBERISH.match(text):
        return [text]
    return text.split()


def _least_and_wanted(
    header: Sequence[str], rows: Sequence[Sequence[str]], size_pt: float, whole_numbers: bool
) -> tuple[list[float], list[float]]:
    """Per column: the width of its longest unbreakable piece, and of its longest cell (header in
    bold), in cm with the cell margins."""
    least, wanted = [], []
    for j, head in enumerate(header):
        cells = [r[j].strip() for r in rows if j < len(r)]
        pieces = [(w, True) for w in _words(head, whole_numbers)]
        pieces += [(w, False) for c in cells for w in _words(c, whole_numbers)]
        longest_piece = max(text_width_cm(w, size_pt, bold) for w, bold in pieces)
        longest_cell = max(
            [text_width_cm(c, size_pt) for c in cells] + [text_width_cm(head, size_pt, True)]
        )
        least.append(longest_piece + PAD_CM)
        wanted.append(max(longest_piece, longest_cell) + PAD_CM)
    return least, wanted


def column_widths(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    available_cm: float,
    size_pt: float = FONT_PT,
) -> list[float] | None:
    """Widths in cm from the content at `size_pt`, filling `available_cm`, or None when even the
    longest word of every column cannot be given its width (see the module docstring)."""
    for whole_numbers in (True, False):
        least, wanted = _least_and_wanted(header, rows, size_pt, whole_numbers)
        if sum(wanted) <= available_cm:
            scale = available_cm / sum(wanted)
            return [w * scale for w in wanted]
        if sum(least) <= available_cm:
            extra = available_cm - sum(least)
            spread = [w - m for w, m in zip(wanted, least, strict=True)]
            return [m + extra * s / sum(spread) for m, s in zip(least, spread, strict=True)]
    return None


def table_layout(
    header: Sequence[str], rows: Sequence[Sequence[str]], available_cm: float
) -> tuple[float, list[float]]:
    """The font size and column widths of a table: the body size when every column can hold its
    longest word, else the largest of the smaller sizes that can; at the smallest size a table
    that still cannot is given widths in proportion to its longest words."""
    for size in FONT_SIZES:
        widths = column_widths(header, rows, available_cm, size)
        if widths is not None:
            return size, widths
    least, _ = _least_and_wanted(header, rows, FONT_SIZES[-1], whole_numbers=False)
    return FONT_SIZES[-1], [m * available_cm / sum(least) for m in least]


_AFTER = {  # the elements that follow a border element in its parent (ECMA-376 schema order)
    "w:tblBorders": ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption"),
    "w:tcBorders": ("w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:vAlign", "w:hideMark"),
}


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
    parent.insert_element_before(box, *_AFTER[tag])


def _fixed_grid(grid, twips: Sequence[int]) -> None:
    """The column widths where every renderer reads them: the grid columns (LibreOffice lays a
    table out by its grid alone), the table width, a fixed layout and explicit cell margins."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Twips

    for gc, w in zip(grid._tbl.tblGrid.gridCol_lst, twips, strict=True):
        gc.w = Twips(w)
    tbl_pr = grid._tbl.tblPr
    width = tbl_pr.find(qn("w:tblW"))
    width.set(qn("w:type"), "dxa")
    width.set(qn("w:w"), str(sum(twips)))
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        m = OxmlElement(f"w:{side}")
        m.set(qn("w:w"), str(CELL_MARGIN_DXA))
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    tbl_pr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription")


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


def _cell_text(cell, text: str, size_pt: float, bold: bool = False, align=None) -> None:
    from docx.shared import Pt

    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.bold = bold
    if size_pt != FONT_PT:
        run.font.size = Pt(size_pt)
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.space_after = 0


def _add_table(document, table: MarkdownTable, number: int, available_cm: float, arms: Sequence[str]) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, Twips

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
    size, widths = table_layout(own, table.rows, available_cm)
    twips = [round(w * TWIPS_PER_CM) for w in widths]
    n_head = 2 if spans else 1
    grid = document.add_table(rows=n_head + len(table.rows), cols=len(own))
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    _fixed_grid(grid, twips)
    _border(grid._tbl.tblPr, "w:tblBorders", ("top", "bottom"), 8)
    rows = grid.rows
    right = WD_ALIGN_PARAGRAPH.RIGHT
    center = WD_ALIGN_PARAGRAPH.CENTER
    if spans:
        top = rows[0].cells
        for label, positions, _ in spans:
            merged = top[positions[0]].merge(top[positions[-1]])
            _cell_text(merged, label, size, bold=True, align=center)
            _border(merged._tc.get_or_add_tcPr(), "w:tcBorders", ("bottom",), 4)
        _header_row(rows[0])
    for j, (cell, text) in enumerate(zip(rows[n_head - 1].cells, own, strict=True)):
        _cell_text(cell, text, size, bold=True, align=None if j == 0 else right)
        _border(cell._tc.get_or_add_tcPr(), "w:tcBorders", ("bottom",), 6)
    _header_row(rows[n_head - 1])
    for k, (grid_row, values) in enumerate(zip(rows[n_head:], table.rows, strict=True)):
        for j, (cell, text) in enumerate(zip(grid_row.cells, values, strict=False)):
            _cell_text(cell, text, size, align=None if j == 0 else right)
            if k < 2:  # the title, the header and the first rows stay on one page
                cell.paragraphs[0].paragraph_format.keep_with_next = True
    for row in rows:  # a merged cell is as wide as the grid columns it spans
        start = 0
        for tc in row._tr.tc_lst:
            tc.width = Twips(sum(twips[start : start + tc.grid_span]))
            start += tc.grid_span
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
    style.font.name = FONT_NAME
    style.font.size = Pt(FONT_PT)
    _journal_font(document.styles["Heading 1"])
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
    embed_fonts(document, _all_text(document), FONT_NAME)
    io.write_docx(document, path)


def _journal_font(style) -> None:
    """Arial in black for a built-in style (the template's headings use the theme's font)."""
    from docx.oxml.ns import qn
    from docx.shared import RGBColor

    style.font.name = FONT_NAME
    style.font.color.rgb = RGBColor(0, 0, 0)
    fonts = style.element.rPr.rFonts
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)


def _all_text(document) -> str:
    """Every character of the body (paragraphs and table cells), for the embedded font's subset."""
    from docx.oxml.ns import qn

    return "".join(t.text or "" for t in document.element.body.iter(qn("w:t")))
