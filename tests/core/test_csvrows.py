"""Line numbers of CSV records for the importers' error messages."""

import csv
import io

from survey_app.core.csvrows import numbered_records


def test_records_carry_their_first_line_blank_lines_are_skipped():
    reader = csv.reader(io.StringIO('email,name\na@x.it,"Ann\nB."\n\n , \nb@x.it,Bo\n'))
    next(reader)
    assert list(numbered_records(reader)) == [(2, ["a@x.it", "Ann\nB."]), (6, ["b@x.it", "Bo"])]


def test_a_record_that_is_not_csv_is_reported_by_its_line_and_reading_goes_on():
    reader = csv.reader(io.StringIO('email\nok@x.it\n"bad"x@x.it\nlast@x.it\n'), strict=True)
    next(reader)
    lines = [(line, record if isinstance(record, list) else "error")
             for line, record in numbered_records(reader)]
    assert lines == [(2, ["ok@x.it"]), (3, "error"), (4, ["last@x.it"])]
