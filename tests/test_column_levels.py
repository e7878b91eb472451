"""rawtext.column_levels: the distinct values the pre-run check reads from a column (arms, display
values), with the rules of the line-by-line reader (records) worked by hand in each case."""

import pytest

from her2rwe.records.rawtext import column_levels, file_column_levels, records


def levels_by_records(text, columns):
    """The same answer through the line-by-line reader, row by row (the reference)."""
    rows = records(text)
    header = [h.strip() for h in next(rows)[1]]
    out = {c: set() for c in columns if c in header}
    for _, row in rows:
        if len(row) == len(header):
            for c in out:
                out[c].add(row[header.index(c)].strip())
    return header, out


def test_comments_above_header_skipped_and_values_stripped():
    # rule: '#' and blank lines above the header are not data; cells are stripped
    text = "# synthetic\n\nid, arm ,x\n1, A ,1\n2,B,2\n3,A,3\n"
    assert column_levels(text, ["arm"]) == (["id", "arm", "x"], {"arm": {"A", "B"}})


def test_row_with_wrong_field_count_is_not_counted():
    # rule: a row without the header's number of fields (here 2 and 4 fields) gives no value
    text = "id,arm,x\n1,A,1\n2,C\n3,D,3,extra\n4,B,4\n"
    assert column_levels(text, ["arm"])[1] == {"arm": {"A", "B"}}


def test_quoted_comma_and_newline_inside_a_cell():
    # rule: a quoted cell may hold the delimiter and a line break; it is one value
    text = 'id,arm,note\n1,"A, high dose","two\nlines"\n2,B,x\n'
    assert column_levels(text, ["arm", "note"])[1] == {
        "arm": {"A, high dose", "B"},
        "note": {"two\nlines", "x"},
    }


def test_crlf_line_endings_and_no_final_newline():
    # rule: CRLF ends a line like LF; the last line needs no line break
    text = "id,arm\r\n1,A\r\n2,B"
    assert column_levels(text, ["arm"])[1] == {"arm": {"A", "B"}}


def test_broken_structure_gives_no_values():
    # rule: text after a closing quote breaks the structure: no values (ingest names the line)
    text = 'id,arm\n1,A\n2,"B"x\n'
    assert column_levels(text, ["arm"]) == (["id", "arm"], {})


def test_missing_and_repeated_columns():
    # rule: columns not in the header are left out; a column listed twice is read once
    text = "id,arm,grade\n1,A,1\n2,B,\n"
    assert column_levels(text, ["arm", "nope", "grade", "arm"])[1] == {
        "arm": {"A", "B"},
        "grade": {"1", ""},
    }
    assert column_levels(text, ["nope"]) == (["id", "arm", "grade"], {})


def test_agrees_with_the_line_by_line_reader():
    text = "#c\nid,arm,g\n" + "".join(
        f"{i},{'AB'[i % 2]} ,{i % 3}\n" if i % 7 else f"{i},X\n" for i in range(200)
    )
    assert column_levels(text, ["arm", "g"]) == levels_by_records(text, ["arm", "g"])


# file_column_levels: a large quote-free file is read by pyarrow (fast_bytes=0 forces that path on
# these small files); the answer must be column_levels' on the decoded text, whichever path is taken
FILES = {
    # comments and a blank line above the header, spaces around cells, CRLF line ends
    "crlf_comments": b"# synthetic\r\n\r\nid, arm ,g\r\n1, A ,x\r\n2,B ,y\r\n3,A,x\r\n",
    # a UTF-8 byte-order mark before the header; no newline after the last row
    "bom": b"\xef\xbb\xbfid,arm,g\n1,A,x\n2,B,y",
    # blank lines between and after the rows (no row of their own)
    "blank_lines": b"id,arm,g\n1,A,x\n\n2,B,y\n\n\n",
    # a non-UTF-8 byte in a cell: the replacement character, as the decoded text has it
    "latin1": b"id,arm,g\n1,caf\xe9,x\n2,B,y\n",
    # rows with 2 and 4 fields: pyarrow refuses the file, the standard reader skips those rows
    "ragged": b"id,arm,g\n1,A,x\n2,C\n3,D,x,extra\n4,B,y\n",
    # a quoted cell holding a comma: not read by pyarrow here (quotes go the standard way)
    "quoted": b'id,arm,g\n1,"A, B",x\n2,C,y\n',
    # a line of spaces: a row of one field, skipped
    "spaces_line": b"id,arm,g\n1,A,x\n   \n2,B,y\n",
    # the header only
    "header_only": b"id,arm,g\n",
    "header_no_newline": b"id,arm,g",
}


def _by_text(raw, columns):
    return column_levels(raw.decode("utf-8-sig", errors="replace"), columns)


@pytest.mark.parametrize("name", sorted(FILES))
@pytest.mark.parametrize("columns", [["arm"], ["arm", "g"], ["absent"], []])
def test_file_levels_agree_with_the_text_reader(tmp_path, name, columns):
    path = tmp_path / "cohort.csv"
    path.write_bytes(FILES[name])
    assert file_column_levels(path, columns, fast_bytes=0) == _by_text(FILES[name], columns)
    assert file_column_levels(path, columns) == _by_text(FILES[name], columns)


def test_a_large_quote_free_file_is_read_by_pyarrow(tmp_path, monkeypatch):
    # the fast path is taken (the text reader would fail the test) and finds every arm, stripped
    import her2rwe.records.rawtext as rawtext

    raw = b"id,arm,g\n" + b"".join(f"{i}, {'ABC'[i % 3]} ,{i}\n".encode() for i in range(3000))
    path = tmp_path / "cohort.csv"
    path.write_bytes(raw)
    monkeypatch.setattr(rawtext, "column_levels", lambda *a: pytest.fail("text reader used"))
    header, levels = rawtext.file_column_levels(path, ["arm"], fast_bytes=1000)
    assert header == ["id", "arm", "g"] and levels == {"arm": {"A", "B", "C"}}
