"""Importing the staff list: columns by their usual names, bad rows reported by line, all or nothing."""

from __future__ import annotations

import os
from datetime import date

import pytest
from click.testing import CliRunner

from course.records.roster import RosterError, import_csv, parse_csv, roster_frame

GOOD = """Staff Number,Full name,Team / Service,Job title,Start date,Payroll grade,Notes
40123,Amy Reid,Riverside care home,Support worker,2024-03-01,5,
 sc-4 0124 ,Ben  Ali,Riverside care home,Senior support worker,01/02/2020,6,nights
40125,Chloe Park,Home care north,Carer,,3,"has, a comma"
"""

BAD = """staff number,name,team,role,start date
40123,Amy Reid,Riverside care home,Support worker,2024-03-01
,No Number,Riverside care home,Carer,2024-01-01
40125,,Home care north,Carer,2024-01-01
40126,Dan Moss,,Carer,2024-01-01
40127,Eve Stone,Home care north,Carer,31/02/2024
40123,Amy Again,Riverside care home,Carer,2024-01-01
40/128,Fay Lee,Home care north,Carer,2024-01-01

40129,Gus Hall,Home care north,Carer,next week
"""


def write(tmp_path, text, name="staff.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_import_maps_usual_headers_and_ignores_other_columns(store, tmp_path):
    result = import_csv(store, write(tmp_path, GOOD))
    assert (result.rows, result.added, result.updated, result.removed) == (3, 3, 0, 0)
    assert result.ignored_columns == ["Payroll grade", "Notes"]
    frame = roster_frame(store).set_index("staff_number")
    assert list(frame.index) == ["40123", "SC-40124", "40125"]
    assert frame.loc["SC-40124", "name"] == "Ben Ali"  # spaces tidied
    assert frame.loc["SC-40124", "learner_id"] == "SC-40124"  # the sign-in form of the number
    assert frame.loc["SC-40124", "start_date"].date() == date(2020, 2, 1)  # DD/MM/YYYY
    assert frame.loc["40125", "team"] == "Home care north"
    assert frame.loc["40125", "start_date"] != frame.loc["40125", "start_date"]  # no date: NaT


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(store, tmp_path):
    import_csv(store, write(tmp_path, GOOD))
    before = roster_frame(store)
    with pytest.raises(RosterError) as info:
        import_csv(store, write(tmp_path, BAD, "bad.csv"))
    assert info.value.problems == [
        "line 3: no staff number",
        "line 4: no name",
        "line 5: no team or service",
        "line 6: start date '31/02/2024' is not a date (use YYYY-MM-DD or DD/MM/YYYY)",
        "line 7: staff number 40123 is also on line 2",
        "line 8: staff number '40/128' is not 2 to 30 letters, digits and hyphens",
        "line 10: start date 'next week' is not a date (use YYYY-MM-DD or DD/MM/YYYY)",
    ]
    assert "nothing imported" in str(info.value)
    after = roster_frame(store)
    assert after.equals(before)  # the good rows of the bad file were not imported either


def test_missing_columns_are_named(store, tmp_path):
    with pytest.raises(RosterError) as info:
        import_csv(store, write(tmp_path, "Number,Surname,Role\n1,Reid,Carer\n"))
    assert info.value.problems == ["line 1: no name, no team (or service) column (found: Number, Surname, Role)"]


def test_empty_and_header_only_files(store, tmp_path):
    with pytest.raises(RosterError, match="line 1: the file is empty"):
        import_csv(store, write(tmp_path, "\n\n"))
    with pytest.raises(RosterError, match="no staff rows"):
        import_csv(store, write(tmp_path, "staff number,name,team\n"))


def test_excel_exports_bom_semicolons_and_windows_text(store, tmp_path):
    text = "\ufeffStaff number;First name;Surname;Service\n77;Zoë;Brown;Day service\n"
    import_csv(store, write(tmp_path, text))
    assert roster_frame(store).iloc[0][["staff_number", "name", "team"]].tolist() == ["77", "Zoë Brown", "Day service"]
    import_csv(store, write(tmp_path, "staff number,name,team\n88,Zoë Grey,Day service\n", encoding="cp1252"))
    assert roster_frame(store).iloc[0]["name"] == "Zoë Grey"


def test_replace_by_default_and_merge_on_request(store, tmp_path):
    import_csv(store, write(tmp_path, GOOD))
    result = import_csv(
        store,
        write(tmp_path, "staff number,name,team\n40123,Amy Reid,Day service\n99,New Person,Day service\n"),
        replace=False,
    )
    assert (result.added, result.updated, result.removed) == (1, 1, 0)
    assert len(roster_frame(store)) == 4
    result = import_csv(store, write(tmp_path, "staff number,name,team\n40123,Amy Reid,Day service\n"))
    assert (result.added, result.updated, result.removed) == (0, 1, 3)
    assert roster_frame(store)["staff_number"].tolist() == ["40123"]


def test_learner_id_column_maps_hub_users(store, tmp_path):
    import_csv(store, write(tmp_path, "staff number,name,team,username\n40123,Amy Reid,Day service,amy.reid\n"))
    assert roster_frame(store).iloc[0][["staff_number", "learner_id"]].tolist() == ["40123", "amy.reid"]


def test_import_is_one_transaction(store, tmp_path):
    """A failure while writing leaves the old list whole."""
    from course.records.roster import import_rows

    import_csv(store, write(tmp_path, GOOD))
    before = roster_frame(store)
    rows, _ = parse_csv("staff number,name,team\n11,A B,T\n22,C D,T\n")
    rows[1]["name"] = None  # NOT NULL: the insert fails after the old rows were deleted
    with pytest.raises(Exception):
        import_rows(store, rows)
    assert roster_frame(store).equals(before)


def test_cli_import_good_and_bad(tmp_path):
    from course.cli import main

    runner = CliRunner()
    good = runner.invoke(main, ["roster", "import", str(write(tmp_path, GOOD))])
    assert good.exit_code == 0, good.output
    assert "Imported 3 staff: 3 new, 0 updated, 0 no longer on the list removed." in good.output
    assert "Ignored columns: Payroll grade, Notes" in good.output
    bad = runner.invoke(main, ["roster", "import", str(write(tmp_path, BAD, "bad.csv"))])
    assert bad.exit_code == 1
    assert "line 6: start date '31/02/2024' is not a date" in bad.output
    assert "nothing imported (7 problem(s))" in bad.output
    assert "Traceback" not in bad.output
    missing = runner.invoke(main, ["roster", "import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    assert os.path.exists(tmp_path / "var" / "records.db")
