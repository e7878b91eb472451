"""Input problems, and the file-level checks of a CSV before any parsing: empty, Excel workbook,
UTF-16, binary, non-UTF-8 bytes (with their lines), and the wrong delimiter. A UTF-8 byte-order mark
is accepted silently.

Standard library only: the config check imports this while Snakemake parses the workflow.
"""

from __future__ import annotations

import csv
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
        val = f" (found {self.value!r})" if self.value is not None else ""
        return f"{where}:{col} {self.message}{val}"


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


def decode(raw: bytes, name: str) -> str:
    """The text of a CSV file's bytes, or InputError naming what is wrong with them."""
    if not raw.strip():
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


def records(text: str) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the 1-based physical line where each starts. Lines that start with '#'
    (comments, e.g. a synthetic-data note) and blank lines are skipped."""
    physical = text.split("\n")
    kept = [(i + 1, ln.rstrip("\r")) for i, ln in enumerate(physical)]
    kept = [(n, ln) for n, ln in kept if ln.strip() and not ln.startswith("#")]
    lines = [ln for _, ln in kept]
    reader = csv.reader(lines, strict=False)
    consumed = 0
    for row in reader:
        start = kept[consumed][0]
        consumed = reader.line_num
        yield start, row


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


def check_file(path: str | Path, name: str | None = None) -> list[Problem]:
    """File-level problems of a CSV (empty, not text, not UTF-8, wrong delimiter); [] when fine."""
    name = name or str(path)
    try:
        text = decode(Path(path).read_bytes(), name)
    except InputError as exc:
        return exc.problems
    for line, row in records(text):
        problem = delimiter_problem(",".join(row), len(row), name, line)
        return [problem] if problem else []
    return [Problem(name, None, None, EMPTY)]
