"""Importing and exporting the project registry: every bad row reported, nothing half-imported."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import event, func, select, update

from db.models import RegistryProject
from tests.registry.conftest import DATA, FY, sample_bytes
from workflow.registry import projects
from workflow.registry.projects import (
    COLUMNS,
    RegistryFileError,
    export_file,
    import_file,
    parse,
    year_registry,
)


def count(session, fy=FY) -> int:
    n = session.execute(
        select(func.count()).select_from(RegistryProject).where(RegistryProject.fiscal_year == fy)
    ).scalar_one()
    session.commit()
    return n


def problems_of(data: bytes):
    with pytest.raises(RegistryFileError) as info:
        parse(data)
    return [(p.line, p.column) for p in info.value.problems]


# --- The sample file


def test_the_sample_covers_every_field_both_origins_wards_bureaus_and_both_kinds_of_project():
    rows = parse(sample_bytes())
    assert {r.field for r in rows} == set(range(1, 13))
    assert {r.origin for r in rows if r.contract} == {"city", "citizen"}
    assert {r.owner_kind for r in rows} == {"ward", "bureau"}
    assert {r.contract for r in rows} == {True, False}
    quoted = next(r for r in rows if r.id == "B-008")
    assert quoted.partner == "市トラック協会, 市倉庫協会" and quoted.contract_amount_yen is None


def test_import_writes_every_row(session):
    result = import_file(session, sample_bytes(), FY)
    assert (result.rows, result.added, result.updated, result.removed) == (30, 30, 0, 0)
    assert count(session) == 30
    b3 = session.execute(select(RegistryProject).where(RegistryProject.external_id == "B-003")).scalar_one()
    assert (b3.owner_kind, b3.field, b3.contract, b3.origin, b3.contract_count, b3.contract_amount_yen) == (
        "bureau", 3, True, "city", 5, 5_000_000)


def test_importing_again_updates_instead_of_doubling(session):
    import_file(session, sample_bytes(), FY)
    result = import_file(session, sample_bytes(), FY)
    assert (result.added, result.updated) == (0, 30)
    assert count(session) == 30


def test_replace_removes_what_the_file_no_longer_lists(session):
    import_file(session, sample_bytes(), FY)
    shorter = b"\n".join(sample_bytes().splitlines()[:11]) + b"\n"
    result = import_file(session, shorter, FY, replace=True)
    assert (result.rows, result.removed) == (10, 20)
    assert count(session) == 10


def test_a_spreadsheet_byte_order_mark_is_accepted(session):
    import_file(session, b"\xef\xbb\xbf" + sample_bytes(), FY)
    assert count(session) == 30


def test_export_writes_the_import_format_and_round_trips(session):
    import_file(session, sample_bytes(), FY)
    out = io.StringIO()
    assert export_file(session, FY, out=out) == 30
    text = out.getvalue()
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert '"市トラック協会, 市倉庫協会"' in text
    again = parse(text.encode())
    assert sorted((r.id, r.field, r.contract_count, r.contract_amount_yen) for r in again) == sorted(
        (r.id, r.field, r.contract_count, r.contract_amount_yen) for r in parse(sample_bytes()))


def test_a_large_import_reports_its_progress(session):
    header, row = sample_bytes().splitlines()[0], sample_bytes().splitlines()[1].decode()
    body = [row.replace("W-001", f"W-{i:04d}", 1).encode() for i in range(450)]
    seen = []
    import_file(session, b"\n".join([header, *body]) + b"\n", FY, progress=lambda *a: seen.append(a))
    assert ("check", 450, 450) in seen and ("write", 450, 450) in seen
    assert seen[0] == ("check", 100, 450)
    assert count(session) == 450


def many_rows(n: int, renamed: str = "", bad: dict[int, tuple[int, str]] | None = None) -> bytes:
    """``n`` rows: the sample's rows over and over, each with its own id; ``renamed`` ends every name;
    ``bad`` puts a value into a column of some rows ({row number: (column index, value)})."""
    header, *sample = list(csv.reader(io.StringIO(sample_bytes().decode())))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for i in range(n):
        row = list(sample[i % len(sample)])
        row[0], row[1] = f"{row[0]}-{i:05d}", row[1] + renamed
        if bad and i + 1 in bad:
            column, value = bad[i + 1]
            row[column] = value
        writer.writerow(row)
    return out.getvalue().encode()


class Statements:
    """What the session sends to the database while the block runs; the ``fail_at``-th write fails."""

    def __init__(self, session, fail_at: int | None = None):
        self.bind, self.sent, self.fail_at = session.get_bind(), [], fail_at

    def _seen(self, _conn, _cursor, statement, *_args) -> None:
        self.sent.append(statement)
        if len(self.writes) == self.fail_at:
            raise DatabaseGone(f"the database went away at write {self.fail_at}")

    def __enter__(self):
        event.listen(self.bind, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc):
        event.remove(self.bind, "before_cursor_execute", self._seen)

    @property
    def writes(self) -> list[str]:
        return [s for s in self.sent if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


class DatabaseGone(Exception):
    pass


def names(session, fy=FY) -> dict[str, str]:
    found = dict(session.execute(
        select(RegistryProject.external_id, RegistryProject.name).where(RegistryProject.fiscal_year == fy)).all())
    session.commit()
    return found


def test_a_re_import_updates_every_row_and_keeps_what_the_file_does_not_hold(session):
    import_file(session, many_rows(60), FY)
    ids_before = dict(session.execute(select(RegistryProject.external_id, RegistryProject.id)).all())
    session.execute(update(RegistryProject).where(RegistryProject.external_id == "W-001-00000").values(
        content="事業の内容（案件から）"))
    session.commit()
    result = import_file(session, many_rows(60, renamed="（改）"), FY)
    assert (result.added, result.updated, result.removed) == (0, 60, 0)
    assert all(name.endswith("（改）") for name in names(session).values()) and count(session) == 60
    row = session.execute(select(RegistryProject).where(RegistryProject.external_id == "W-001-00000")).scalar_one()
    session.commit()
    assert row.content == "事業の内容（案件から）"  # not a column of the file: left as it was
    assert dict(session.execute(select(RegistryProject.external_id, RegistryProject.id)).all()) == ids_before


def test_a_file_is_written_in_a_statement_per_thousand_rows_first_time_and_again(session):
    """A department sends, then re-sends, its year: the statements do not grow with the rows."""
    sent = {}
    for fy, n in ((FY, 100), (FY + 1, 900), (FY + 2, 2400)):
        with Statements(session) as first:
            assert import_file(session, many_rows(n), fy).added == n
        with Statements(session) as again:
            assert import_file(session, many_rows(n, renamed="（改）"), fy).updated == n
        sent[n] = (len(first.sent), len(again.sent))
        assert 1 <= len(again.writes) == len(first.writes) <= (n + 999) // 1000, (first.writes, again.writes)
        assert set(names(session, fy).values()) == {r.name + "（改）" for r in parse(sample_bytes())}
    assert sent[100] == sent[900], sent
    assert all(few <= more <= few + 2 for few, more in zip(sent[100], sent[2400])), sent


def test_a_bad_row_in_the_middle_of_a_re_import_is_named_and_changes_nothing(session):
    import_file(session, many_rows(2400), FY)
    before = names(session)
    bad = {1500: (5, "環境保全"), 2001: (7, "2")}  # an unknown field; a contract flag that is not 0 or 1
    with pytest.raises(RegistryFileError) as info:
        import_file(session, many_rows(2400, renamed="（改）", bad=bad), FY)
    assert [(p.line, p.column) for p in info.value.problems] == [(1501, "field"), (2002, "contract")]
    assert names(session) == before


def test_a_failure_while_writing_the_last_rows_leaves_the_registry_as_it_was(session, monkeypatch):
    """The database fails after two thousand rows went in: those are undone too."""
    monkeypatch.setattr(projects, "COPY_BATCH", 1000)  # PostgreSQL's batches, as small as SQLite's
    import_file(session, many_rows(2400), FY)
    before = names(session)
    with Statements(session, fail_at=3) as sent, pytest.raises(DatabaseGone):
        import_file(session, many_rows(2400, renamed="（改）"), FY)
    assert len(sent.writes) == 3
    assert names(session) == before
    with Statements(session, fail_at=3), pytest.raises(DatabaseGone):
        import_file(session, many_rows(2400), FY + 1)
    assert count(session, FY + 1) == 0


def test_replace_removes_thousands_of_rows_the_file_no_longer_lists(session):
    import_file(session, many_rows(2400), FY)
    result = import_file(session, many_rows(100), FY, replace=True)
    assert (result.updated, result.removed) == (100, 2300)
    assert count(session) == 100


# --- Bad files: every problem reported with its line, and nothing imported


@pytest.mark.parametrize("name, expected", [
    ("registry_bad_columns.csv", [(1, "")]),
    ("registry_bad_field.csv", [(3, "field")]),
    ("registry_bad_count.csv", [(3, "contract_count")]),
    ("registry_bad_duplicate_ids.csv", [(4, "id")]),
    ("registry_bad_many.csv", [(2, "owner_kind"), (3, "contract"), (4, "contract_amount_yen"), (4, "origin"), (5, "")]),
])
def test_a_bad_file_is_reported_line_by_line_and_nothing_is_imported(session, name, expected):
    import_file(session, sample_bytes(), FY)  # what was there before stays as it was
    before = session.execute(select(RegistryProject.external_id, RegistryProject.name)).all()
    session.commit()
    with pytest.raises(RegistryFileError) as info:
        import_file(session, (DATA / name).read_bytes(), FY)
    assert [(p.line, p.column) for p in info.value.problems] == expected
    assert session.execute(select(RegistryProject.external_id, RegistryProject.name)).all() == before
    with pytest.raises(RegistryFileError):
        import_file(session, (DATA / name).read_bytes(), FY + 1)
    assert count(session, FY + 1) == 0


def test_the_wrong_columns_are_named():
    with pytest.raises(RegistryFileError) as info:
        parse((DATA / "registry_bad_columns.csv").read_bytes())
    message = info.value.problems[0].message_en
    assert "missing: section, contract_amount_yen" in message and "unexpected: amount" in message


def test_the_unknown_field_is_quoted_and_the_known_ones_listed():
    with pytest.raises(RegistryFileError) as info:
        parse((DATA / "registry_bad_field.csv").read_bytes())
    problem = info.value.problems[0]
    assert "環境保全" in problem.message_ja and "環境の保全" in problem.message_ja


def test_columns_in_another_order_are_refused():
    header = ",".join(reversed(COLUMNS)).encode()
    assert problems_of(header + b"\n") == [(1, "")]


def test_contract_flag_origin_and_counts_must_agree():
    head = ",".join(COLUMNS)
    rows = [
        "A,事業A,ward,中区,課,環境の保全,団体,1,city,0,100",        # contracted, no contract
        "B,事業B,ward,中区,課,環境の保全,団体,0,,2,",               # not contracted, contracts
        "C,事業C,bureau,市民局,課,環境の保全,団体,0,,0,5000",       # not contracted, an amount
        "D,事業D,bureau,市民局,課,環境の保全,,1,citizen,1,5000",     # contracted, no partner
        "E,事業E,bureau,市民局,課,環境の保全,団体,1,town,1,5000",    # unknown origin
        "F,事業F,bureau,市民局,課,環境の保全,団体,1,city,-1,5000",   # negative count
    ]
    found = problems_of(("\n".join([head, *rows]) + "\n").encode())
    assert found == [(2, "contract_count"), (3, "contract_count"), (4, "contract_amount_yen"), (5, "partner"),
                     (6, "origin"), (7, "contract_count")]


def test_a_file_saved_by_japanese_excel_as_cp932_is_read_like_utf8():
    # 「CSV（コンマ区切り）」 in Japanese Excel writes Shift_JIS (CP932); 「CSV UTF-8」 adds a BOM.
    text = sample_bytes().decode()
    assert parse(text.encode("cp932")) == parse(text.encode("utf-8")) == parse(text.encode("utf-8-sig"))


def test_a_file_in_neither_encoding_is_reported_with_its_line():
    lines = sample_bytes().decode().splitlines()
    data = (lines[0] + "\n").encode() + lines[1].encode("utf-8") + b"\x80\xff\n"
    assert problems_of(data) == [(2, "")]


def test_an_empty_file_and_a_header_only_file_are_reported():
    assert problems_of(b"") == [(1, "")]
    assert problems_of(",".join(COLUMNS).encode() + b"\n") == [(2, "")]


def test_blank_lines_are_skipped_and_line_numbers_stay_true():
    lines = sample_bytes().decode().splitlines()
    text = "\n".join([lines[0], lines[1], "", lines[2].replace("ward", "town")]) + "\n"
    assert problems_of(text.encode()) == [(4, "owner_kind")]


def test_a_registry_without_the_engine_is_just_the_import(session):
    import_file(session, sample_bytes(), FY)
    reg = year_registry(session, FY)
    assert (reg.imported, reg.engine, len(reg.rows)) == (30, 0, 30)
