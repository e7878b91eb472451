"""The identifier guard: refuse input columns that look like direct identifiers.

:func:`find_identifiers` looks at the header and the values of a raw input table (every cell a
string) and returns one :class:`~her2rwe.records.rawtext.Problem` per column that looks like a direct
identifier: names, medical record numbers, national or insurance IDs, phone numbers, e-mail or
street addresses, full birth dates, and free text longer than :data:`FREE_TEXT_MAX_CHARS`. A
problem names the file, the column and the reason, and never carries a value. Columns in the
study's ``identifier_allowlist`` are kept, and reported back as notes for the job log.

Pure functions only: no file writes, no printing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from her2rwe.records.contract import DATE_COLUMNS

# ------------------------------------------------------------------------------------------------
# identifier guard

FREE_TEXT_MAX_CHARS = 100
"""A column holding any value longer than this is treated as free text (notes can name people)."""

#: contract columns of input contract v1: never refused for their names (their values are checked)
CONTRACT_COLUMNS = frozenset(
    {
        *DATE_COLUMNS,
        *("patient_id", "arm", "regimen", "discontinuation_reason", "best_response", "sd_weeks"),
        *("measurable_disease", "term", "grade", "category"),
    }
)
CONTRACT_SUFFIXES = ("_months", "_event", "_source")


# Latin look-alikes of Cyrillic and Greek letters: a column name 'nаme' with a Cyrillic 'а' must
# read as 'name'
_CONFUSABLES = str.maketrans(
    "аАвВеЕкКмМнНоОрРсСтТуУхХіІјЈѕЅԁαΑβΒεΕιΙκΚμΜνΝοΟρΡτΤυΥχΧ",
    "aAbBeEkKmMhHoOpPcCtTyYxXiIjJsSdaAbBeEiIkKmMvNoOpPtTuUxX",
)


def ascii_fold(text: str) -> str:
    """Look-alike letters mapped to Latin, accents removed ('Prénom' -> 'Prenom')."""
    folded = unicodedata.normalize("NFKD", text.translate(_CONFUSABLES))
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def _tokens(column: str) -> list[str]:
    """'PatientLastName' / 'patient-last name' -> ['patient', 'last', 'name']."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", ascii_fold(column))
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


#: words that mark a direct identifier wherever they occur in a column name, with or without
#: separators ('phonenumber', 'dateofbirth', 'ContactEmail'), in English and a few other languages
_IDENTIFIER_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "a name",
        (
            "surname",
            "firstname",
            "lastname",
            "fullname",
            "givenname",
            "familyname",
            "patientname",
            "forename",
            "maidenname",
            "prenom",
            "nachname",
            "vorname",
            "apellido",
            "cognome",
        ),
    ),
    ("a phone number", ("phone", "telephone", "telefon", "mobile", "cellular")),
    ("an e-mail address", ("email", "mailaddress", "courriel")),
    ("a street address", ("address", "adresse", "direccion", "indirizzo", "postcode", "zipcode")),
    (
        "a full birth date",
        ("birthdate", "dateofbirth", "birthday", "geburtsdatum", "naissance", "nacimiento"),
    ),
    ("a national or insurance ID", ("socialsecurity", "passport", "nationalid", "insurance")),
    ("a medical record number", ("medicalrecord", "mrn", "nhsnumber", "hospitalnumber")),
)
#: single tokens that name an identifier by themselves ('Nom', 'contact', 'naam')
_IDENTIFIER_TOKENS = {
    "nom": "a name",
    "nombre": "a name",
    "naam": "a name",
    "navn": "a name",
    "contact": "contact details",
    "contacts": "contact details",
    "tel": "a phone number",
    "dob": "a full birth date",
    "ssn": "a national or insurance ID",
    "mrn": "a medical record number",
}


def _joined(column: str) -> str:
    return "_".join(_tokens(column))


_NAME_QUALIFIERS = {
    "first",
    "last",
    "given",
    "family",
    "middle",
    "full",
    "patient",
    "pt",
    "maiden",
    "sur",
    "mother",
    "mothers",
    "father",
    "fathers",
    "contact",
    "next",
    "kin",
    "person",
    "legal",
    "preferred",
    "physician",
    "doctor",
    "provider",
    "nurse",
}

# (reason, regex over the joined lower-case tokens of the column name)
_NAME_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(rx))
    for reason, rx in (
        (
            "a name",
            r"(^|_)(surname|forename|firstname|lastname|fullname|givenname|familyname|"
            r"patientname|initials|name)(_|$)",
        ),
        (
            "a medical record number",
            r"(^|_)(mrn|mrns|medical_record(_number|_no|_num|_id)?|med_rec(_no|_num)?|"
            r"record_(number|no|num)|chart_(number|no|num|id)|hospital_(number|no|num)|"
            r"hosp_(no|num|id)|unit_(number|no)|case_(number|no)|nhs(_number|_no)?|chi_number|"
            r"patient_number|accession(_number|_no)?)(_|$)",
        ),
        (
            "a national or insurance ID",
            r"(^|_)(ssn|social_security(_number|_no)?|sin|nino|national_(id|insurance|number)|"
            r"insurance_(number|no|num|id)|member_(id|number|no)|subscriber_(id|number)|"
            r"medicare(_number|_no|_id)?|medicaid(_number|_no|_id)?|policy_(number|no|id)|"
            r"passport(_number|_no)?|driver_licen[cs]e|drivers_licen[cs]e|licen[cs]e_number|"
            r"tax_id|tin|personnummer|bsn|aadhaar|health_card|ahv|insee|nir|hic|hicn|mbi|"
            r"beneficiary_(id|number))(_|$)",
        ),
        ("a phone number", r"(^|_)(phone|telephone|tel|mobile|cellphone|cell_phone|fax)(_|$)"),
        ("an e-mail address", r"(^|_)(email|e_mail|mail|mail_address)(_|$)"),
        (
            "a street address",
            r"(^|_)(address|addr|street|street_address|house_number|zip|zipcode|zip_code|"
            r"postcode|post_code|postal_code|postal)(_|$)",
        ),
        (
            "a full birth date",
            r"(^|_)(dob|birth_date|birthdate|date_of_birth|birthday|born|bdate|birth_dt|dt_birth)(_|$)",
        ),
    )
)

_AT = r"(@|\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+)"
_DOT = r"(\.|\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+)"
_VALUE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("e-mail addresses", re.compile(r"[^@\s]+\s*@\s*[^@\s]+")),
    (
        "e-mail addresses written out ('at', 'dot')",
        re.compile(rf"[\w.+-]+{_AT}[\w-]+({_DOT}[\w-]+)*{_DOT}[a-z]{{2,}}\b", re.IGNORECASE),
    ),
    ("US social security numbers", re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")),
    (
        "phone numbers",
        re.compile(
            r"(?<![\d-])(\+\d{1,3}[\s.-]?)?(\(\d{2,4}\)|\d{3})[\s.-]?\d{3}[\s.-]\d{4}(?![\d-])"
        ),
    ),
    (
        # UK and other national formats: 020 7946 0958, 07700 900123, +44 (0)20 7946 0958
        "phone numbers",
        re.compile(
            r"(?<![\w.-])(\+\d{1,3}\s?(\(0\)\s?)?|\(0\d{1,4}\)\s?|0)\d{1,4}([\s.-]?\d{2,4}){2,4}(?![\w.-])"
        ),
    ),
    (
        "street addresses",
        re.compile(
            r"\b\d{1,5}\s+([A-Za-z][\w'.-]*\s+){1,4}(street|st|avenue|ave|road|rd|boulevard|blvd|"
            r"lane|ln|drive|dr|court|ct|way|place|pl|terrace|square|sq)\b\.?",
            re.IGNORECASE,
        ),
    ),
)
_DATE_SHAPED = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")


def _matches(rx: re.Pattern[str], value: str, reason: str) -> bool:
    """A value rule's pattern anywhere in a cell; a phone number has 9 to 15 digits and is not a
    date ('0000-01-01', '01-02-2020')."""
    if reason != "phone numbers":
        return rx.search(value) is not None
    for m in rx.finditer(value):
        digits = sum(ch.isdigit() for ch in m.group())
        if 9 <= digits <= 15 and not _DATE_SHAPED.fullmatch(m.group().strip()):
            return True
    return False


_WORD = r"[^\W\d_]+(?:['’-][^\W\d_]+)*"
_PERSON_NAME = re.compile(
    rf"{_WORD},\s*{_WORD}(\s+[^\W\d_]\.?|\s+{_WORD})?"  # Surname, Given [M.]; SURNAME, GIVEN
    rf"|{_WORD}(\s+[^\W\d_]\.?)?\s+{_WORD}",  # Given [M.] Surname, any case, accents
)
#: a patient ID without digits that reads as a name ('Smith', 'María', 'van der Berg')
_NAME_LIKE_ID = re.compile(rf"{_WORD}([\s,]+{_WORD})*")
_RECORD_NUMBER = re.compile(r"[A-Z]{0,3}\d{6,12}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBERISH = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")

DISTINCT_SHARE = 0.9
"""A declared text column whose non-empty cells are at least this share distinct is refused ..."""
DISTINCT_MIN = 10
"""... when it has at least this many distinct values (patient_id excepted)."""
#: columns the distinctness rule skips: pseudonyms are distinct by design; adverse-event terms of a
#: short file can all differ
DISTINCT_EXEMPT = frozenset({"patient_id", "term"})
NAME_LIKE_IDS = 0.2
"""patient_id is refused when at least this share of its cells read as names (no digits)."""


@dataclass(frozen=True)
class IdentifierFinding:
    """A column that looks like a direct identifier. Holds no value from the column."""

    column: str
    reason: str
    line: int | None  # header line for a name rule, else the first line with a matching value
    rows: int = 0  # how many rows matched (value rules)


def identifier_name_reason(column: str) -> str | None:
    """Why a column's name alone marks it as an identifier (None when it does not)."""
    if column in CONTRACT_COLUMNS or column.endswith(CONTRACT_SUFFIXES):
        return None
    joined = _joined(column)
    tokens = set(joined.split("_"))
    if any(not ch.isascii() for ch in ascii_fold(column)):
        return "non-Latin letters (a look-alike of a known name?)"
    for token in tokens:
        if token in _IDENTIFIER_TOKENS:
            return _IDENTIFIER_TOKENS[token]
    squashed = joined.replace("_", "")
    for reason, words in _IDENTIFIER_WORDS:
        if any(w in squashed for w in words):
            return reason
    for reason, rx in _NAME_RULES:
        if not rx.search(joined):
            continue
        if reason == "a name" and "name" in tokens and not tokens - {"name"} <= _NAME_QUALIFIERS:
            continue  # 'regimen_name', 'drug_name', 'site_name' do not name people
        return reason
    return None


class _Cells:
    """The non-empty cells of a column, with vectorised tests over them.

    A column whose values repeat (:func:`~her2rwe.records.fastread.repeats`, or built from its
    distinct values by the reader) is tested on its distinct values, each weighted by its rows; any
    other column row by row, and its number of distinct values is counted only when a rule needs it.

    Each regular expression runs in Python only on the values that could match it: a test that
    the values themselves rule out (a phone number needs 9 digits, a name no digit) is answered by a
    vectorised check of a necessary condition, and patterns over ASCII characters only are run
    vectorised (for ASCII text they mean the same in both engines); non-ASCII values always take
    the Python pattern.
    """

    def __init__(self, values, codes, rows, arrow=None, numbers=None):
        import pyarrow as pa
        import pyarrow.compute as pc

        self._pa, self._pc = pa, pc
        self.values = values  # object array: the distinct values (with codes), else the cells
        self.codes = codes  # per non-empty row: its value's index, or None
        self.rows = rows  # position of each non-empty row in the table, or None: every row
        if codes is None:
            self.n_rows = len(values)
            self.counts = None
            self._distinct = None
        else:
            self.n_rows = len(codes)
            self.counts = np.bincount(codes, minlength=len(values))
            self._distinct = len(values)
        self.arrow = pa.array(values, type=pa.string()) if arrow is None else arrow
        self.ascii = pc.string_is_ascii(self.arrow).to_numpy(zero_copy_only=False)
        self._numbers = numbers

    @classmethod
    def of_series(cls, values: pd.Series) -> _Cells | None:
        """The non-empty cells of a column of strings (rows numbered from 0); None if none."""
        from her2rwe.records.fastread import repeats

        cells = values.to_numpy(dtype=object)
        filled = cells.astype(bool)  # != "" for strings, without comparing
        rows = None
        if not filled.all():
            rows = np.flatnonzero(filled)
            cells = cells[rows]
        if not len(cells):
            return None
        if repeats(cells):
            codes, uniq = pd.factorize(cells, sort=False)
            return cls(np.asarray(uniq, dtype=object), codes, rows)
        return cls(cells, None, rows)

    @classmethod
    def of_table(cls, table, column: str) -> _Cells | None:
        """The non-empty cells of a column of a raw table (``ingest.RawTable``), from the
        reader's distinct values or its pyarrow array where it has them; None if none."""
        if table.has_factors(column):
            codes, values = table.distinct(column)
            named = values.astype(bool)  # not the empty value
            filled = named[codes]
            rows = None if filled.all() else np.flatnonzero(filled)
            if rows is not None:
                codes = codes[rows]
            if not len(codes):
                return None
            return cls(values[named], (np.cumsum(named) - 1)[codes], rows)
        if column not in table.arrays:
            return cls.of_series(pd.Series(table.frame[column].to_numpy(dtype=object)))
        import pyarrow as pa

        arrow = table.arrow(column)
        cells = table.frame[column].to_numpy(dtype=object)
        numbers = table.numbers(column)
        filled = table.filled(column)
        rows = None
        if not filled.all():
            rows = np.flatnonzero(filled)
            cells, numbers = cells[rows], numbers[rows]
            arrow = arrow.filter(pa.array(filled))
        if not len(cells):
            return None
        return cls(cells, None, rows, arrow, numbers)

    def distinct(self) -> int:
        """How many distinct values the column has."""
        if self._distinct is None:
            self._distinct = len(pd.unique(self.values))
        return self._distinct

    def numeric(self) -> np.ndarray:
        """Which values are numbers."""
        if self._numbers is None:
            self._numbers = self.fullmatch(_NUMBERISH, _ASCII_NUMBER)
        return self._numbers

    def byte_lengths(self) -> np.ndarray:
        """The UTF-8 length of each value (at least its number of characters)."""
        return self._pc.binary_length(self.arrow).to_numpy(zero_copy_only=False)

    def has(self, ascii_rx: str, where: np.ndarray | None = None) -> np.ndarray:
        """Which values contain a match of an ASCII pattern (any value, any characters); with
        ``where``, only those values are tested (False elsewhere)."""
        if where is None or where.all():
            hit = self._pc.match_substring_regex(self.arrow, ascii_rx)
            return hit.to_numpy(zero_copy_only=False)
        out = np.zeros(len(self.values), dtype=bool)
        idx = np.flatnonzero(where)
        if 2 * len(idx) > len(where):  # most values: test them all rather than copy them
            hit = self._pc.match_substring_regex(self.arrow, ascii_rx)
            return hit.to_numpy(zero_copy_only=False) & where
        if len(idx):
            sub = self.arrow.take(self._pa.array(idx))
            out[idx] = self._pc.match_substring_regex(sub, ascii_rx).to_numpy(zero_copy_only=False)
        return out

    def python(self, test, candidates: np.ndarray) -> np.ndarray:
        """``test(value)`` on the candidate values; False elsewhere."""
        out = np.zeros(len(self.values), dtype=bool)
        for i in np.flatnonzero(candidates):
            out[i] = bool(test(self.values[i]))
        return out

    def fullmatch(self, rx: re.Pattern[str], ascii_rx: str, where=None) -> np.ndarray:
        """``rx.fullmatch`` per value (only on ``where`` when given): ``ascii_rx`` (anchored,
        ASCII classes) over ASCII values, ``rx`` over the others."""
        scope = np.ones(len(self.values), dtype=bool) if where is None else where
        out = self.has(ascii_rx, scope & self.ascii)
        out |= self.python(rx.fullmatch, scope & ~self.ascii)
        return out

    def row_hits(self, hit: np.ndarray) -> np.ndarray:
        """Per non-empty row: whether its value is a hit."""
        return hit if self.codes is None else hit[self.codes]

    def first_row(self, hit: np.ndarray) -> int:
        """The table position of the first non-empty row whose value is a hit."""
        first = int(np.flatnonzero(self.row_hits(hit))[0])
        return first if self.rows is None else int(self.rows[first])

    def row_share(self, hit: np.ndarray) -> float:
        """The share of the column's non-empty rows whose value is a hit."""
        if self.counts is None:
            return float(hit.sum()) / float(self.n_rows)
        return float(self.counts[hit].sum()) / float(self.counts.sum())

    def distinct_share(self, hit: np.ndarray) -> float:
        """The share of the column's distinct values that are hits."""
        if self.counts is not None:
            return float(hit.mean())
        if not hit.any():
            return 0.0
        if hit.all():
            return 1.0
        return len(pd.unique(self.values[hit])) / self.distinct()


_ASCII_NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_ASCII_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_ASCII_RECORD_NUMBER = r"^[A-Z]{0,3}[0-9]{6,12}$"
#: every value rule needs a character outside [A-Za-z0-9._+-] ('@', a space, a bracket) or 9 digits:
#: a value of those characters with at most 8 digits trips none
_PLAIN = r"^[A-Za-z._+-]*([0-9][A-Za-z._+-]*){0,8}$"
#: names are letters only: a value with a digit or an underscore is not one
_DIGIT_OR_UNDERSCORE = r"[0-9_]"
#: a value that is _PLAIN and has a digit or an underscore
_PLAIN_MARKED = r"^(?:[A-Za-z._+-]*([0-9][A-Za-z._+-]*){1,8}|[A-Za-z.+-]*_[A-Za-z._+-]*)$"


def _value_reason(cells: _Cells, column: str, lines: np.ndarray) -> tuple[str, int, int] | None:
    """The first value rule a column's non-empty cells trip: (reason, first line, rows matching).

    Patterns run over the distinct values of a column whose values repeat, and only on the values
    a vectorised check leaves as candidates (:class:`_Cells`)."""

    def found(reason: str, matching: np.ndarray) -> tuple[str, int, int]:
        hit = np.asarray(matching, dtype=bool)
        return reason, int(lines[cells.first_row(hit)]), int(cells.row_hits(hit).sum())

    numeric = cells.numeric()
    # plain values with a digit or an underscore (pseudonyms, codes) trip no value rule and are no
    # names: one pattern settles them, the two below run only on the others
    marked = cells.has(_PLAIN_MARKED, ~numeric & cells.ascii)
    rest = ~numeric & ~marked
    candidates = rest & ~(cells.ascii & cells.has(_PLAIN, rest & cells.ascii))
    for reason, rx in _VALUE_RULES:
        hit = cells.python(lambda v, rx=rx, why=reason: _matches(rx, v, why), candidates)
        if hit.any():
            return found(reason, hit)
    lettered = rest & ~cells.has(_DIGIT_OR_UNDERSCORE, rest)  # only these can be names
    if column == "patient_id":
        # pseudonyms, not names: any 'Surname, Given' or 'given surname' cell is a person's name;
        # single words without digits ('Okafor') when they are a fair share of the cells
        named = cells.python(_PERSON_NAME.fullmatch, lettered)
        words = cells.python(_NAME_LIKE_ID.fullmatch, lettered)
        if not named.any() and cells.row_share(words) >= NAME_LIKE_IDS:
            named = words
        if named.any():
            return found("person names used as patient IDs", named)
        may_single_out = False
    elif column in CONTRACT_COLUMNS:
        # contract columns hold arms, regimens, AE terms ('Febrile Neutropenia'): only the
        # patterns above, the distinctness rule and the free-text length apply to them
        may_single_out = False
    else:
        may_single_out = True

    def many_distinct() -> bool:  # counted only when a rule below needs it
        distinct = cells.distinct()
        return distinct >= 5 and distinct >= 0.5 * cells.n_rows

    lengths = cells.byte_lengths()
    if may_single_out:
        names = cells.python(_PERSON_NAME.fullmatch, lettered)
        if cells.row_share(names) >= 0.5 and many_distinct():
            return found("person names", names)
        # an ASCII record number has 6 to 15 characters: when fewer than 90% of the rows could
        # hold one, the rule cannot apply
        possible = ~cells.ascii | ((lengths >= 6) & (lengths <= 15))
        if cells.row_share(possible) >= 0.9:
            numbers = cells.fullmatch(_RECORD_NUMBER, _ASCII_RECORD_NUMBER, possible)
            if (
                cells.row_share(numbers) >= 0.9
                and many_distinct()
                and cells.distinct() >= 0.9 * cells.n_rows
            ):
                return found("unique record numbers (like MRNs)", numbers)
    if column not in DISTINCT_EXEMPT and not column.endswith(CONTRACT_SUFFIXES):
        text = ~(numeric | cells.fullmatch(_ISO_DATE, _ASCII_ISO_DATE, ~numeric))
        if (
            cells.distinct_share(text) >= 0.5
            and cells.distinct() >= DISTINCT_MIN
            and cells.distinct() >= DISTINCT_SHARE * cells.n_rows
        ):
            return found(
                f"nearly all distinct text ({cells.distinct()} distinct of {cells.n_rows} cells), "
                "which can single out patients",
                text,
            )
    if lengths.max() > FREE_TEXT_MAX_CHARS:  # bytes: at least the characters
        long = cells._pc.utf8_length(cells.arrow).to_numpy(zero_copy_only=False)
        long = long > FREE_TEXT_MAX_CHARS
        if long.any():
            return found(f"free text longer than {FREE_TEXT_MAX_CHARS} characters", long)
    return None


def find_identifiers(
    frame: pd.DataFrame, lines: Sequence[int] | np.ndarray, header_line: int = 1, table=None
) -> list[IdentifierFinding]:
    """Columns of a raw table (all cells strings) whose name or values look like direct identifiers.

    ``lines`` gives the 1-based file line of each row. Name rules are checked first; a column that
    passes them is checked by its values (e-mail, SSN, phone and street-address patterns anywhere;
    person names, unique record numbers and long free text by the share of cells that match).
    ``table``, the ``ingest.RawTable`` whose frame ``frame`` is, lends its reader's distinct values
    and pyarrow arrays, so that each distinct value is examined once and no column is converted.
    """
    lines = np.asarray(lines)
    findings = []
    for column in frame.columns:
        reason = identifier_name_reason(str(column))
        if reason:
            findings.append(
                IdentifierFinding(str(column), f"the column name suggests {reason}", header_line)
            )
            continue
        if table is not None:
            cells = _Cells.of_table(table, column)
        else:
            values = frame[column]
            if values.dtype != object:  # a raw table's cells are strings already
                values = values.astype(str)
            cells = _Cells.of_series(pd.Series(values.to_numpy(), copy=False))
        found = None if cells is None else _value_reason(cells, str(column), lines)
        if found:
            what, line, rows = found
            findings.append(
                IdentifierFinding(
                    str(column), f"values look like {what} ({rows} row(s))", line, rows
                )
            )
    return findings


def identifier_guard(
    frame: pd.DataFrame,
    lines: Sequence[int] | np.ndarray,
    file: str,
    header_line: int = 1,
    allowlist: Iterable[str] = (),
    table=None,
):
    """Run :func:`find_identifiers` and split its findings by the allow-list (``table``: see
    there).

    Returns ``(problems, notes)``: problems (``ingest.Problem`` without values) for flagged columns
    not in ``allowlist``; notes (strings for the job log) for flagged columns the user chose to keep.
    """
    from her2rwe.records.rawtext import Problem

    allow = set(allowlist)
    problems, notes = [], []
    for f in find_identifiers(frame, lines, header_line, table):
        if f.column in allow:
            notes.append(
                f"{file}: column '{f.column}' kept although it looks like a direct identifier "
                f"({f.reason}): it is listed in identifier_allowlist"
            )
            continue
        problems.append(
            Problem(
                file,
                f.line,
                f.column,
                f"looks like a direct identifier: {f.reason}; values not shown. Remove the column "
                "from the file, or list it in the study's identifier_allowlist if it is not an "
                "identifier",
            )
        )
    return problems, notes
