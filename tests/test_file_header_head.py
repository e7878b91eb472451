"""rawtext.check_file_header with head_bytes: the parse-time check of a records file reads only its
first lines (the jobs read the whole file and name every problem with its line)."""

from her2rwe.records.rawtext import check_file_header

HEADER = "patient_id,drug,start_date\n"
ROW = "P{:04d},trastuzumab,2020-01-01\n"  # 29 bytes a row


def write(tmp_path, body: bytes, name="treatments.csv"):
    path = tmp_path / name
    path.write_bytes(body)
    return path


def rows(n: int) -> bytes:
    return "".join(ROW.format(i) for i in range(n)).encode()


def test_a_bad_byte_beyond_the_head_is_left_to_the_reader_of_the_whole_file(tmp_path):
    # line 1 the header, lines 2-101 rows; line 102 holds a Latin-1 e-acute (0xE9), far past 200 bytes
    path = write(tmp_path, HEADER.encode() + rows(100) + b"P9999,caf\xe9,2020-01-01\n")
    problems, header = check_file_header(path, "t.csv", head_bytes=200)
    assert problems == [] and header == ["patient_id", "drug", "start_date"]
    whole, _ = check_file_header(path, "t.csv")  # the whole file: found, with its line
    assert [(p.line, p.column) for p in whole] == [(102, None)]


def test_a_problem_inside_the_head_is_reported_as_for_the_whole_file(tmp_path):
    # a NUL byte on line 3, within the first 200 bytes
    path = write(tmp_path, HEADER.encode() + rows(1) + b"P0001,\x00,2020\n" + rows(100))
    assert check_file_header(path, "t.csv", head_bytes=200) == check_file_header(path, "t.csv")
    assert check_file_header(path, "t.csv")[0][0].line == 3


def test_a_head_cut_inside_a_quoted_cell_raises_no_false_alarm(tmp_path):
    # the header's second field is quoted and spans two lines; the head (40 bytes) ends at the first
    # of them, where the quote is still open: the check falls back to the whole file, which is fine
    body = b'patient_id,"drug\nname",start_date\n' + rows(5)
    path = write(tmp_path, body)
    problems, header = check_file_header(path, "t.csv", head_bytes=20)
    assert problems == [] and header == ["patient_id", "drug\nname", "start_date"]


def test_a_file_no_longer_than_the_head_is_read_whole(tmp_path):
    path = write(tmp_path, HEADER.encode() + b"P1,caf\xe9,2020-01-01\n")
    problems, _ = check_file_header(path, "t.csv", head_bytes=1 << 20)
    assert [p.line for p in problems] == [2]


def test_semicolon_delimited_header_is_found_in_the_head(tmp_path):
    path = write(tmp_path, b"patient_id;drug;start_date\n" + b"P1;x;2020-01-01\n" * 100)
    problems, header = check_file_header(path, "t.csv", head_bytes=64)
    assert header == [] and "delimited by semicolons" in problems[0].message
