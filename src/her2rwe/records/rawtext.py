"""Input problems, and the file-level checks of a CSV before any parsing: empty, Excel workbook,
UTF-16, binary, non-UTF-8 bytes (with their lines), bare carriage returns, the wrong delimiter, and
the CSV structure itself (a quote that is never closed, text after a closing quote, a giant cell),
each with file, line and column. A UTF-8 byte-order mark is accepted silently.

A :class:`Problem` never prints a cell value: a cell of any column may hold an identifier (a name
typed into a date cell), so a problem shows the line, the column and the class of the value found
(:func:`describe`).

Standard library only: the config check imports this while Snakemake parses the workflow.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One problem in an input file."""

    file: str
    line: int | None
    column: str | None
    message: str
    value: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        col = f" column '{self.column}':" if self.column else ""
        val = f" (found {describe(self.value)})" if self.value is not None else ""
        return f"{where}:{col} {self.message}{val}"


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_SHAPES = (
    (re.compile(r"\d{4}-\d{1,2}-\d{1,2}"), "a date-like value that is not a valid ISO date"),
    (re.compile(r"\d{1,2}[/.]\d{1,2}[/.]\d{2,4}"), "a date written day/month or month/day"),
    (re.compile(r"\d{5}(\.\d+)?"), "a five-digit number"),
    (re.compile(r"[+-]?\d+,\d+"), "a number with a decimal comma"),
)


def describe(value: object) -> str:
    """The class of a cell value, never the value itself: 'an empty cell', 'a negative number',
    'text (7 characters)', ... A cell of any column may hold an identifier."""
    v = "" if value is None else str(value)
    if v == "":
        return "an empty cell"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        import datetime

        try:
            datetime.date.fromisoformat(v)
            return "a date"
        except ValueError:
            pass
    for rx, what in _SHAPES:
        if rx.fullmatch(v):
            return what
    if _NUMBER.fullmatch(v):
        if v.startswith("-"):
            return "a negative number"
        return "a whole number" if v.lstrip("+").isdigit() else "a number"
    return f"text ({len(v)} character{'s' if len(v) != 1 else ''})"


class InputError(ValueError):
    """Input data violate the contract. ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem], max_shown: int = 200):
        self.problems = list(problems)
        shown = [str(p) for p in self.problems[:max_shown]]
        more = len(self.problems) - len(shown)
        if more > 0:
            shown.append(f"... and {more} more problem(s)")
        n = len(self.problems)
        super().__init__(f"{n} problem(s) in the input:\n" + "\n".join(f"  {s}" for s in shown))


MAGIC = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (.xls)"),
    (b"%PDF", "a PDF document"),
    (b"PAR1", "a Parquet file"),
    (b"\x1f\x8b", "a gzip archive"),
)
DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}
SAVE_AS = "save it from the spreadsheet as 'CSV UTF-8 (comma delimited)'"
MAX_BAD_LINES = 20
EMPTY = "the file is empty: expected a header line and one row per patient"


_BLANK = re.compile(rb"\s*")  # the ASCII whitespace that bytes.strip() removes


def refuse(raw: bytes, name: str) -> None:
    """InputError for bytes that are not CSV text whatever their encoding: empty, a workbook or an
    archive, UTF-16, binary (NUL bytes)."""
    if _BLANK.fullmatch(raw):  # `not raw.strip()` without copying a large file
        raise InputError([Problem(name, None, None, EMPTY)])
    for magic, what in MAGIC:
        if raw.startswith(magic):
            raise InputError(
                [Problem(name, None, None, f"the file is {what}, not CSV text: {SAVE_AS}")]
            )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            [Problem(name, None, None, f"the file is UTF-16 text; expected UTF-8: {SAVE_AS}")]
        )
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise InputError(
            [Problem(name, line, None, "the file holds binary data (NUL bytes), not CSV text")]
        )


def decode(raw: bytes, name: str) -> str:
    """The text of a CSV file's bytes, or InputError naming what is wrong with them."""
    refuse(raw, name)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    problems = []
    for n, line in enumerate(raw.split(b"\n"), 1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            if len(problems) == MAX_BAD_LINES:
                problems.append(Problem(name, None, None, "... more lines with non-UTF-8 bytes"))
                break
            problems.append(
                Problem(
                    name,
                    n,
                    None,
                    f"not UTF-8 text: byte 0x{line[exc.start]:02X} at character {exc.start + 1} "
                    "(Latin-1 or Windows-1252?); re-save the file as UTF-8",
                )
            )
    raise InputError(problems)


FIELD_LIMIT = csv.field_size_limit()
"""The longest cell the reader accepts (characters); a longer one is an error, not a silent cut."""


class CsvStructureError(ValueError):
    """The CSV structure is broken at ``line`` (1-based file line), in field ``field`` (0-based)."""

    def __init__(self, line: int, field: int | None, message: str):
        self.line, self.field, self.message = line, field, message
        super().__init__(f"line {line}: {message}")


def records(text: str) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the 1-based physical line where each starts.

    Lines that start with '#' (comments, e.g. a synthetic-data note) and blank lines are skipped only
    at the top of the file, before the header: after the header, every line is data (a patient ID
    that starts with '#' is a patient, and a stray comment line is a row with the wrong number of
    fields). Blank lines are returned as empty records. Raises :class:`CsvStructureError` for a bare
    carriage return (classic Mac line endings), a quote that is never closed, text after a closing
    quote, or a cell longer than :data:`FIELD_LIMIT` characters.
    """
    bare_cr = re.search(r"\r(?!\n)", text)
    if bare_cr:
        line = text.count("\n", 0, bare_cr.start()) + 1
        raise CsvStructureError(
            line,
            None,
            "bare carriage return (CR) line endings, as classic Mac OS wrote them: "
            "save the file with LF or CRLF line endings ('CSV UTF-8 (comma delimited)')",
        )
    # the physical lines are walked lazily: a caller that wants only the header (check_file, the
    # pre-run check) reads only the top of a large file
    top, start = header_start(text)
    reader = csv.reader((ln + "\n" for ln in _physical_lines(text, start)), strict=True)
    consumed = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise _locate(list(_physical_lines(text, start)), consumed, top) from None
        yield top + consumed + 1, row
        consumed = reader.line_num


def header_start(text: str) -> tuple[int, int]:
    """The number of comment and blank lines above the header, and the header's offset in `text`."""
    top, start = 0, 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end]
        if line.strip() and not line.startswith("#"):
            break
        top, start = top + 1, end + 1
    return top, start


def header_bytes(raw: bytes) -> tuple[int, list[str], int] | None:
    """``(line, fields, offset)`` of the header of a CSV file's bytes: its 1-based line, its
    fields (unstripped) and the offset of the line after it; None without a line after it.
    Comment ('#') and blank lines at the top are skipped, as
    :func:`records` and :func:`header_start` do for text; a UTF-8 byte-order mark is skipped."""
    pos = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    line = 1
    while True:
        end = raw.find(b"\n", pos)
        if end < 0:
            return None
        text = raw[pos:end].decode("utf-8")
        if text.strip() and not text.startswith("#"):
            return line, text.removesuffix("\r").split(","), end + 1
        pos, line = end + 1, line + 1


def column_levels(text: str, columns: Sequence[str]) -> tuple[list[str], dict[str, set[str]]]:
    """The header of a CSV text (stripped names) and the distinct stripped values of each listed
    column it has, over the rows with the header's number of fields. The rows are read by the
    standard library's C reader from the header on (no per-row line bookkeeping, no list of every
    value); a broken structure (see :func:`records`) gives no values: the reader that ingests the
    file reports it with its line and column."""
    import io

    _, start = header_start(text)
    reader = csv.reader(io.StringIO(text[start:]), strict=True)
    header: list[str] = []
    try:
        header = [h.strip() for h in next(reader, [])]
        n = len(header)
        wanted = {c: header.index(c) for c in columns if c in header}
        if len(wanted) == 1:
            ((column, i),) = wanted.items()
            levels = {column: {row[i] for row in reader if len(row) == n}}
        elif wanted:
            levels = {c: set() for c in wanted}
            pairs = [(levels[c], i) for c, i in wanted.items()]
            for row in reader:
                if len(row) == n:
                    for values, i in pairs:
                        values.add(row[i])
        else:
            return header, {}
    except csv.Error:
        return header, {}
    return header, {c: {v.strip() for v in values} for c, values in levels.items()}


FAST_LEVELS_BYTES = 4 << 20
"""From this size on, :func:`file_column_levels` reads a quote-free file's columns with pyarrow."""


def file_column_levels(
    path: str | Path, columns: Sequence[str], fast_bytes: int = FAST_LEVELS_BYTES
) -> tuple[list[str], dict[str, set[str]]]:
    """:func:`column_levels` of a CSV file's text (decoded with replacement of non-UTF-8 bytes).

    A file of ``fast_bytes`` or more with no quote character, NUL byte or bare carriage return is
    read by pyarrow's CSV reader, only the listed columns: there every physical line is one row and
    the answer is the same (tests/test_column_levels.py compares the two on the same files). Any
    other file, or one pyarrow refuses (a row with another number of fields), goes through
    :func:`column_levels`. pyarrow is imported only then: this module is otherwise standard library
    only, for the config check that runs while Snakemake parses the workflow (a million-row cohort
    takes about 1.5 s through the standard library's reader, 0.2 s through pyarrow)."""
    raw = Path(path).read_bytes()
    if len(raw) >= fast_bytes and columns:
        found = _levels_by_pyarrow(raw, columns)
        if found is not None:
            return found
    return column_levels(raw.decode("utf-8-sig", errors="replace"), columns)


def _levels_by_pyarrow(raw: bytes, columns: Sequence[str]):
    if b'"' in raw or b"\x00" in raw or raw.count(b"\r") != raw.count(b"\r\n"):
        return None
    try:
        head = header_bytes(raw)
    except UnicodeDecodeError:
        return None
    if head is None:
        return None
    _, fields, offset = head
    header = [h.strip() for h in fields]
    wanted = {c: header.index(c) for c in columns if c in header}
    if not wanted:
        return header, {}
    import pyarrow as pa
    from pyarrow import csv as pacsv

    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(memoryview(raw)[offset:]),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=True),
            parse_options=pacsv.ParseOptions(
                delimiter=",", quote_char=False, escape_char=False, ignore_empty_lines=True
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=[names[i] for i in wanted.values()],
                column_types={names[i]: pa.binary() for i in wanted.values()},
                strings_can_be_null=False,
                null_values=[],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None  # a row with another number of fields: the standard library's reader decides
    levels = {}
    for column, i in wanted.items():
        values = table.column(names[i]).unique().to_pylist()
        levels[column] = {v.decode("utf-8", errors="replace").strip() for v in values}
    return header, levels


def _physical_lines(text: str, start: int, chunk: int = 1 << 20) -> Iterator[str]:
    """The lines of ``text[start:]`` as ``str.split("\n")`` cuts them, without the empty one
    after a final newline; split a megabyte at a time."""
    while start < len(text):
        cut = text.find("\n", min(start + chunk, len(text)) - 1)
        if cut < 0:
            lines = text[start:].split("\n")
            if lines[-1] == "":
                lines.pop()
            yield from lines
            return
        yield from text[start:cut].split("\n")
        start = cut + 1


def _locate(body: list[str], start: int, offset: int) -> CsvStructureError:
    """Where and why the CSV record that starts at ``body[start]`` is broken (error path only)."""
    field, state, length, quote_line = 0, "start", 0, start
    for i in range(start, len(body)):
        for ch in body[i] + "\n":
            length += 1
            if length > FIELD_LIMIT:
                return CsvStructureError(
                    offset + i + 1,
                    field,
                    f"a cell is longer than {FIELD_LIMIT} characters: a quote that is not closed, "
                    "or a file that is not a CSV table",
                )
            if state == "quoted":
                if ch == '"':
                    state = "quote_in_quoted"
                continue
            if state == "quote_in_quoted":
                if ch == '"':
                    state = "quoted"
                    continue
                if ch not in ",\n":
                    return CsvStructureError(
                        offset + i + 1,
                        field,
                        "text after the closing quote of a quoted cell: a quote inside a quoted "
                        'cell must be doubled ("")',
                    )
            if ch == "\n":
                if state != "quoted":
                    field, state, length = 0, "start", 0
                break
            if ch == ",":
                field, state, length = field + 1, "start", 0
            elif state == "start" and ch == '"':
                state, quote_line = "quoted", i
            else:
                state = "field"
    return CsvStructureError(
        offset + quote_line + 1,
        field,
        "a quote opens a cell here and is never closed (the rest of the file would be one cell): "
        "close the quote or remove it",
    )


def delimiter_problem(header_line: str, n_fields: int, name: str, line: int) -> Problem | None:
    """A header that holds one field but contains ';', tab or '|' is not comma-delimited."""
    if n_fields > 1:
        return None
    for sep, what in DELIMITERS.items():
        if sep in header_line:
            return Problem(
                name,
                line,
                None,
                f"the file is delimited by {what}, expected commas: {SAVE_AS}",
            )
    return None


def check_file(
    path: str | Path, name: str | None = None, head_bytes: int | None = None
) -> list[Problem]:
    """File-level problems of a CSV (empty, not text, not UTF-8, wrong delimiter); [] when fine.
    ``head_bytes``: see :func:`check_file_header`."""
    return check_file_header(path, name, head_bytes)[0]


def check_file_header(
    path: str | Path, name: str | None = None, head_bytes: int | None = None
) -> tuple[list[Problem], list[str]]:
    """:func:`check_file`'s problems, and the header (stripped names) of a file without any: one
    reading of the file for both.

    With ``head_bytes``, only the file's first lines (up to that many bytes, cut at a line end) are
    examined when they show no problem: what lies further on is left to the reader of the whole
    file, which names every problem with its line. Any problem found in the head is looked for in
    the whole file, so that a head cut inside a quoted cell raises no false alarm."""
    name = name or str(path)
    if head_bytes is not None:
        with open(path, "rb") as fh:
            head = fh.read(head_bytes + 1)
        cut = head.rfind(b"\n", 0, head_bytes)
        if len(head) > head_bytes and cut >= 0:
            found = _file_header(head[: cut + 1], name)
            if not found[0]:
                return found
    return _file_header(Path(path).read_bytes(), name)


def _file_header(raw: bytes, name: str) -> tuple[list[Problem], list[str]]:
    try:
        text = decode(raw, name)
    except InputError as exc:
        return exc.problems, []
    try:
        for line, row in records(text):
            problem = delimiter_problem(",".join(row), len(row), name, line)
            return ([problem], []) if problem else ([], [h.strip() for h in row])
    except CsvStructureError as exc:
        return [Problem(name, exc.line, None, exc.message)], []
    return [Problem(name, None, None, EMPTY)], []
