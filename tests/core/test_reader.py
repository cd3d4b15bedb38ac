"""Reading: encodings, dialects, line endings, preamble, row/line numbers, whole-file failures."""

from __future__ import annotations

import codecs
import gzip
import io
import tracemalloc
import zipfile
from collections.abc import Callable
from itertools import islice
from pathlib import Path

import pytest

from contact360_desktop.core.errors import FileRejected
from contact360_desktop.core.reader import SAMPLE_BYTES, open_csv, sniff_format

WriteFile = Callable[..., Path]

CONTACTS = "email,first_name,last_name,company\njose@acme.com,José,Müller,Café Zoë\nann@b.io,Ann,Lee,B\n"
ROWS = [["jose@acme.com", "José", "Müller", "Café Zoë"], ["ann@b.io", "Ann", "Lee", "B"]]


def read(path: Path, **kwargs: object) -> tuple[list[str], list[list[str]]]:
    with open_csv(path, **kwargs) as f:  # type: ignore[arg-type]
        return f.header, [r.values for r in f.records()]


# -- encodings -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CONTACTS.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + CONTACTS.encode("utf-8"), "utf-8-sig"),
        (CONTACTS.encode("utf-16"), "utf-16"),  # with BOM, native order
        (codecs.BOM_UTF16_LE + CONTACTS.encode("utf-16-le"), "utf-16"),
        (codecs.BOM_UTF16_BE + CONTACTS.encode("utf-16-be"), "utf-16"),
        (CONTACTS.encode("utf-16-le"), "utf-16-le"),  # no BOM: found by its NUL pattern
        (CONTACTS.encode("cp1252"), "cp1252"),
        (CONTACTS.encode("latin-1"), "cp1252"),  # identical for these letters
    ],
)
def test_encodings_are_detected(write_file: WriteFile, data: bytes, encoding: str) -> None:
    path = write_file(data)
    assert sniff_format(path).encoding == encoding
    header, rows = read(path)
    assert header == ["email", "first_name", "last_name", "company"]
    assert rows == ROWS


def test_windows_1252_punctuation_is_read_as_such(write_file: WriteFile) -> None:
    text = "email,company\nann@b.io,“Smart” Quotes – Ltd €\n" * 50
    header, rows = read(write_file(text.encode("cp1252")))
    assert rows[0] == ["ann@b.io", "“Smart” Quotes – Ltd €"]


def test_cyrillic_code_page_is_detected(write_file: WriteFile) -> None:
    text = "email,name\n" + "ivan@x.ru,Иван Петров\nolga@x.ru,Ольга Смирнова\n" * 20
    path = write_file(text.encode("cp1251"))
    assert sniff_format(path).encoding == "cp1251"
    assert read(path)[1][0] == ["ivan@x.ru", "Иван Петров"]


def test_encoding_can_be_overridden(write_file: WriteFile) -> None:
    path = write_file("email,name\nann@b.io,Ålborg\n".encode("cp1252"))
    assert read(path, encoding="latin-1")[1] == [["ann@b.io", "Ålborg"]]
    # Read as ISO-8859-7 the same byte is a Greek letter: the override wins.
    assert read(path, encoding="iso8859-7")[1] == [["ann@b.io", "\u0395lborg"]]


def test_explicit_utf8_on_a_bom_file_does_not_leak_the_bom(write_file: WriteFile) -> None:
    path = write_file(codecs.BOM_UTF8 + b"email,name\na@b.io,A\n")
    header, _ = read(path, encoding="UTF8")
    assert header == ["email", "name"]


def test_non_utf8_after_an_ascii_sample_reads_as_windows_1252(write_file: WriteFile) -> None:
    # The first MiB is plain ASCII, so the sample says UTF-8; an Excel export's first
    # accented name comes later. That byte must not fail the import half-way.
    filler = "a@b.io,Plain\n" * (SAMPLE_BYTES // 13 + 10)
    path = write_file(("email,name\n" + filler + "z@b.io,Zoë\n").encode("cp1252"))
    assert sniff_format(path).encoding == "utf-8"
    for encoding in (None, "utf-8"):  # detected, or the detected name passed back in
        with open_csv(path, encoding=encoding) as f:
            *_, last = f.records()
        assert last.values == ["z@b.io", "Zoë"]


def test_wrong_explicit_encoding_is_rejected_clearly(write_file: WriteFile) -> None:
    path = write_file("email,name\nann@b.io,Zoë\n".encode("cp1252"))
    with pytest.raises(FileRejected, match=r"cannot be read as utf-8: byte 0xeb on line 2"):
        open_csv(path, encoding="utf-8")


def test_invalid_utf8_after_the_sample_fails_with_the_line(write_file: WriteFile) -> None:
    # The sample holds real UTF-8 (so no Windows-1252 fallback), then a broken byte.
    filler = "a@b.io,Zoë\n" * (SAMPLE_BYTES // 10 + 10)
    path = write_file(("email,name\n" + filler).encode("utf-8") + b"z@b.io,Z\xeb\n")
    with open_csv(path) as f, pytest.raises(FileRejected, match=r"Line \d+ is not valid utf-8 text"):
        for _ in f.records():
            pass


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_check_decodes_names_the_exact_line_past_the_sample(write_file: WriteFile, newline: str) -> None:
    lines = ["email,name", *["a@b.io,Zoë"] * (SAMPLE_BYTES // 10 + 10), "z@b.io,Z\udcebx"]
    path = write_file(newline.join(lines).encode("utf-8", "surrogateescape") + newline.encode())
    with open_csv(path) as f, pytest.raises(FileRejected, match=rf"^Line {len(lines)} is not valid utf-8 text \(byte 0xeb\)"):
        f.check_decodes()
    good = write_file(newline.join(lines[:-1]).encode("utf-8"))
    with open_csv(good) as f:
        f.check_decodes()  # no error


def test_check_decodes_utf16_past_the_sample(write_file: WriteFile) -> None:
    lines = ["email,name", *["a@b.io,Zoë"] * (SAMPLE_BYTES // 20 + 10)]
    body = "\r\n".join(lines).encode("utf-16-le") + "\r\nz@b.io,".encode("utf-16-le") + b"\x00\xdcA\x00"
    path = write_file(codecs.BOM_UTF16_LE + body)
    with open_csv(path) as f, pytest.raises(FileRejected, match=rf"^Line {len(lines) + 1} is not valid utf-16"):
        f.check_decodes()


def test_unknown_encoding_name_is_rejected(write_file: WriteFile) -> None:
    with pytest.raises(FileRejected, match="not a known text encoding"):
        open_csv(write_file("email\na@b.io\n"), encoding="klingon-8")


# -- dialects and line endings ---------------------------------------------------------
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_delimiters_and_line_endings_are_detected(
    write_file: WriteFile, delimiter: str, newline: str
) -> None:
    rows = [
        ["email", "first_name", "company", "notes"],
        ["ann@b.io", "Ann", f"Acme{delimiter} Inc.", 'She said "hi"'],
        ["bo@c.io", "Bo", "Beta", f"two{newline}lines"],
        ["cy@d.io", "Cy", "", "x"],
    ]
    buffer = io.StringIO(newline="")
    import csv

    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(rows)
    path = write_file(buffer.getvalue())
    fmt = sniff_format(path)
    assert (fmt.delimiter, fmt.line_terminator) == (delimiter, newline)
    header, got = read(path)
    assert [header, *got] == rows


def test_semicolon_file_with_commas_in_values(write_file: WriteFile) -> None:
    text = "Email;Name;Amount\n" + "".join(f"u{i}@x.de;Müller, Hans;1,{i}\n" for i in range(20))
    path = write_file(text)
    assert sniff_format(path).delimiter == ";"
    assert read(path)[1][0] == ["u0@x.de", "Müller, Hans", "1,0"]


def test_delimiter_can_be_overridden(write_file: WriteFile) -> None:
    path = write_file("email;name\na@b.io;A\n")
    assert read(path, delimiter=",")[0] == ["email;name"]


def test_single_column_file(write_file: WriteFile) -> None:
    header, rows = read(write_file("email\na@b.io\nc@d.io\n"))
    assert header == ["email"]
    assert rows == [["a@b.io"], ["c@d.io"]]


# -- header, preamble, blank lines, numbering ------------------------------------------
LINKEDIN = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email addresses are '
    "missing. You will only see email addresses for connections who have allowed their connections "
    "to see or download their email address using this setting https://www.linkedin.com/psettings/privacy/email. "
    'You can learn more here https://www.linkedin.com/help/linkedin/answer/261"\n'
    "\n"
    "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
    'Jane,Doe,https://www.linkedin.com/in/janedoe,jane@acme.com,"Acme, Inc.",CTO,01 Jan 2024\n'
    "John,Roe,https://www.linkedin.com/in/jroe,,Beta,Head of Sales,02 Feb 2024\n"
)


def test_linkedin_preamble_is_skipped(write_file: WriteFile) -> None:
    with open_csv(write_file(LINKEDIN)) as f:
        assert f.header == [
            "First Name",
            "Last Name",
            "URL",
            "Email Address",
            "Company",
            "Position",
            "Connected On",
        ]
        assert f.header_line == 4
        assert f.preamble[0] == "Notes:"
        assert len(f.preamble) == 3
        records = list(f.records())
    assert [(r.row_number, r.line_number) for r in records] == [(1, 5), (2, 6)]
    assert records[0].values[4] == "Acme, Inc."


def test_preamble_without_known_fields_is_skipped_by_width(write_file: WriteFile) -> None:
    text = "Exported 2024-05-01\nid,foo,bar,baz\n1,2,3,4\n5,6,7,8\n"
    with open_csv(write_file(text)) as f:
        assert f.header == ["id", "foo", "bar", "baz"]
        assert f.header_line == 2


def test_header_row_option_takes_that_row(write_file: WriteFile) -> None:
    with open_csv(write_file(LINKEDIN), header_row=1) as f:
        assert f.header == ["Notes:"]
        assert f.header_line == 1


def test_blank_lines_are_not_rows_and_numbers_count_physical_lines(write_file: WriteFile) -> None:
    text = (
        "email,notes\r\n"  # line 1
        "\r\n"  # 2 blank
        'a@b.io,"one\r\ntwo\r\nthree"\r\n'  # 3-5
        ",\r\n"  # 6: only empty cells -> blank
        "   \r\n"  # 7: whitespace -> blank
        "c@d.io,x\r\n"  # 8
    )
    with open_csv(write_file(text)) as f:
        records = list(f.records())
    assert [(r.row_number, r.line_number) for r in records] == [(1, 3), (2, 8)]
    assert records[0].values == ["a@b.io", "one\r\ntwo\r\nthree"]


def test_records_skip_resumes_with_the_same_numbers(write_file: WriteFile) -> None:
    text = "email,n\n" + "".join(f'u{i}@x.io,"{i}\n{i}"\n\n' for i in range(10))
    path = write_file(text)
    with open_csv(path) as f:
        everything = list(f.records())
        resumed = list(f.records(skip=7))
        assert list(f.records(skip=10)) == []
    assert resumed == everything[7:]
    assert resumed[0].row_number == 8
    assert resumed[0].line_number == 2 + 7 * 3


def test_rows_are_the_records_as_tuples(write_file: WriteFile) -> None:
    text = "email,n\n\n" + "".join(f'u{i}@x.io,"{i}\n{i}"\n,\n' for i in range(10))
    with open_csv(write_file(text)) as f:
        for skip in (0, 4, 10):
            expected = [(r.row_number, r.line_number, r.values) for r in f.records(skip=skip)]
            assert list(f.rows(skip=skip)) == expected
        assert len(list(f.rows())) == 10


def test_a_cursor_reads_on_from_another_cursors_position(write_file: WriteFile) -> None:
    """What the import's readers hand each other: the rest of the file, with the file's numbers."""
    text = "email,first_name\n\n" + "".join(f'u{i}@x.io,"{i}\n{i}"\n,\n' for i in range(10))
    text += 'bad@x.io,"never closed\n' + "more text\n" * 20000
    with open_csv(write_file(text)) as f:
        everything = f.cursor().take(10)
        first, second = f.cursor(), f.cursor()
        assert first.take(4) == everything[:4]
        second.seek(first.position())
        assert second.take(6) == everything[4:]
        with pytest.raises(FileRejected, match=r"^Line 33: .* never closed"):
            second.take(1)


def test_records_are_parsed_one_at_a_time(write_file: WriteFile) -> None:
    """The wizard's sample stops before a broken row further on: nothing is read ahead."""
    text = "email,first_name\n" + "".join(f"u{i}@x.io,U\n" for i in range(3))
    with open_csv(write_file(text + 'bad@x.io,"never closed\n' + "more text\n" * 20000)) as f:
        assert [r.row_number for r in islice(f.records(), 3)] == [1, 2, 3]


def test_preview_returns_the_first_records(write_file: WriteFile) -> None:
    path = write_file("email\n" + "".join(f"u{i}@x.io\n" for i in range(100)))
    with open_csv(path) as f:
        preview = f.preview(5)
    assert [r.values[0] for r in preview] == [f"u{i}@x.io" for i in range(5)]


def test_header_only_file_has_no_rows(write_file: WriteFile) -> None:
    header, rows = read(write_file("email,first_name\r\n"))
    assert header == ["email", "first_name"]
    assert rows == []


def test_ragged_rows_are_returned_as_read(write_file: WriteFile) -> None:
    _, rows = read(write_file("email,a,b\nx@y.io\nx@y.io,1,2,3,\n"))
    assert rows == [["x@y.io"], ["x@y.io", "1", "2", "3", ""]]


# -- whole-file failures -----------------------------------------------------------------
def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")  # what an .xlsx starts with
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (codecs.BOM_UTF8, "The file is empty."),
        (b"\r\n\r\n  \n", "The file is empty."),
        (gzip.compress(CONTACTS.encode()), "gzip-compressed"),
        (_zip_bytes(), "Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel workbook"),
        (b"%PDF-1.7\n...", "PDF"),
        (b"email,name\nann@b.io,\x00\x01\x02\x03binary\x00\xff", "binary data"),
        (bytes(range(256)) * 20, "binary data"),
    ],
)
def test_whole_file_failures(write_file: WriteFile, data: bytes, message: str) -> None:
    with pytest.raises(FileRejected, match=message) as caught:
        open_csv(write_file(data))
    assert caught.value.message == str(caught.value)


def test_unclosed_quote_fails_with_a_clear_message(write_file: WriteFile) -> None:
    rows = "".join(f"u{i}@b.io,Ann\n" for i in range(3))
    path = write_file("email,first_name\n" + rows + 'a@b.io,"never closed\n' + "more text\n" * 20000)
    with open_csv(path) as f, pytest.raises(FileRejected, match=r"^Line 5: .* quote .* never closed"):
        list(f.records())
    # Found while looking for the header, it fails the same way.
    with pytest.raises(FileRejected, match=r"^Line 2: .* never closed"):
        open_csv(write_file('email,notes\na@b.io,"never closed\n' + "more text\n" * 20000))


# -- streaming -------------------------------------------------------------------------
def test_memory_does_not_grow_with_the_file(write_file: WriteFile) -> None:
    row = "someone.{i}@example-company.com,First,Last,Some Title,Company Inc,example.com,+14155550100\n"
    header = "email,first_name,last_name,title,company_name,company_domain,phone\n"
    small = write_file(header + "".join(row.format(i=i) for i in range(2_000)))
    large = write_file(header + "".join(row.format(i=i) for i in range(60_000)))
    assert large.stat().st_size > 25 * small.stat().st_size > SAMPLE_BYTES // 8

    def peaks(path: Path) -> tuple[int, int]:
        """(peak while opening: the detection sample, peak while streaming every record)."""
        tracemalloc.start()
        try:
            with open_csv(path) as f:
                opening = tracemalloc.get_traced_memory()[1]
                tracemalloc.reset_peak()
                assert sum(1 for _ in f.records()) > 0
                return opening, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    (_, small_streaming), (large_opening, large_streaming) = peaks(small), peaks(large)
    # Streaming: the same peak within buffer noise, not 30x.
    assert large_streaming < small_streaming + 64 * 1024
    # Opening holds at most the 1 MiB sample (bytes + text + sniffing), whatever the size.
    assert large_opening < 5 * SAMPLE_BYTES
