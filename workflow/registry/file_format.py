"""The registry file: the CSV format the departments send, read and checked row by row.

UTF-8 (a BOM is accepted), exactly these columns, in this order::

    id,name,owner_kind,owner,section,field,partner,contract,origin,contract_count,contract_amount_yen

``owner_kind`` is ``ward`` or ``bureau``; ``field`` one of the twelve field names exactly as
the report writes them (``states.vocabulary.FIELDS``); ``contract`` 0 or 1 (an Article 12
contract); ``origin`` ``city`` (Art. 9), ``citizen`` (Art. 10) or empty; ``contract_count``
a whole number; ``contract_amount_yen`` a whole number of yen or empty. A contracted
project names its partner, its origin and at least one contract; a project without a
contract has no contracts and no contract amount. ``parse`` checks every row and reports
every problem with its line number, or returns the rows; it never touches the database.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass
from typing import Callable, Iterable

from states.vocabulary import FIELDS, OWNER_KINDS
from workflow.errors import KyodoError
from workflow.registry.cells import SafeWriter, unmark

COLUMNS = ("id", "name", "owner_kind", "owner", "section", "field", "partner", "contract", "origin",
           "contract_count", "contract_amount_yen")
ORIGINS = {"city": ("市の発意（第9条）", "city-initiated (Art. 9)"),
           "citizen": ("市民等の提案（第10条）", "citizen-proposed (Art. 10)")}
# The id an export gives a project that passed through the engine: kyodo-<case id>.
ENGINE_ID = re.compile(r"kyodo-(\d{1,9})")
FIELD_BY_NAME = {ja: number for number, (ja, _en) in FIELDS.items()}
# Column widths of RegistryProject, so that a long value is a reported problem, not a crash.
MAX_LENGTH = {"id": 60, "name": 300, "owner": 200, "section": 200}


@dataclass
class RegistryRow:
    """One collaboration project of the fiscal year, as the report counts it."""

    id: str
    name: str
    owner_kind: str
    owner: str
    section: str
    field: int
    partner: str
    contract: bool
    origin: str | None
    contract_count: int
    contract_amount_yen: int | None
    source: str = "import"  # import | engine
    proposal_id: int | None = None
    cost_kind: str | None = None  # a key of CONTRACT_FORM_LABELS, or "exempt"
    content: str = ""
    results: str = ""
    effect: str = ""

    def csv_values(self) -> list[str]:
        return [
            self.id, self.name, self.owner_kind, self.owner, self.section, FIELDS[self.field][0], self.partner,
            "1" if self.contract else "0", self.origin or "", str(self.contract_count),
            "" if self.contract_amount_yen is None else str(self.contract_amount_yen),
        ]

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    message_ja: str
    message_en: str

    def __str__(self) -> str:
        where = f"{self.line}行目" + (f"（{self.column}）" if self.column else "")
        return f"{where}: {self.message_ja} / line {self.line}{f' ({self.column})' if self.column else ''}: {self.message_en}"


class RegistryFileError(KyodoError):
    """The file has bad rows; nothing of it was imported. ``problems`` lists every one."""

    code = "invalid_registry_file"

    def __init__(self, problems: list[Problem]):
        first = problems[0]
        super().__init__(
            f"登録ファイルに{len(problems)}件の誤りがあります（最初：{first.line}行目 {first.message_ja}）。何も取り込んでいません。",
            f"{len(problems)} problem(s) in the registry file (first: line {first.line}: {first.message_en}); "
            "nothing was imported",
            "誤りをすべて直してから、もう一度取り込んでください。", "fix every problem and import the file again",
        )
        self.problems = problems


# --- Reading and checking a file.


def _decode(data: bytes) -> tuple[str | None, list[Problem]]:
    """UTF-8 (with or without a byte-order mark), else Shift_JIS as Windows writes it (CP932):
    Japanese Excel's 「CSV（コンマ区切り）」 saves CP932, its 「CSV UTF-8」 saves UTF-8."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("cp932"), []
        except UnicodeDecodeError:
            line = data[: utf8_error.start].count(b"\n") + 1
            return None, [Problem(line, "", "UTF-8 としても Shift_JIS（CP932）としても読めない文字があります"
                                            "（Excel の「CSV UTF-8」で保存してください）。",
                                  "neither UTF-8 nor Shift_JIS (CP932); save as 'CSV UTF-8'")]


WHOLE_NUMBER = re.compile(r"\d+")


def _int(text: str) -> int | None:
    return int(text) if WHOLE_NUMBER.fullmatch(text) else None


def _check_header(header: list[str]) -> list[Problem]:
    got = [h.strip() for h in header]
    if tuple(got) == COLUMNS:
        return []
    missing = [c for c in COLUMNS if c not in got]
    extra = [c for c in got if c not in COLUMNS]
    detail_ja, detail_en = [], []
    if missing:
        detail_ja.append(f"足りない列：{', '.join(missing)}")
        detail_en.append(f"missing: {', '.join(missing)}")
    if extra:
        detail_ja.append(f"余分な列：{', '.join(extra)}")
        detail_en.append(f"unexpected: {', '.join(extra)}")
    if not missing and not extra:
        detail_ja.append("列の順序が違います")
        detail_en.append("the columns are in another order")
    return [Problem(1, "", f"見出し行の列が正しくありません（{'、'.join(detail_ja)}）。必要な列：{','.join(COLUMNS)}",
                    f"wrong columns ({'; '.join(detail_en)}); expected: {','.join(COLUMNS)}")]


def _check_row(line: int, v: dict[str, str]) -> tuple[RegistryRow | None, list[Problem]]:
    """One record, every column present, as written (apostrophe mark removed) and stripped."""
    found: list[Problem] = []

    def bad(column: str, ja: str, en: str) -> None:
        found.append(Problem(line, column, ja, en))

    for column in ("id", "name", "owner"):
        if not v[column]:
            bad(column, "空欄にはできません。", "must not be empty")
    for column, limit in MAX_LENGTH.items():
        if len(v[column]) > limit:
            bad(column, f"{limit}文字以内にしてください。", f"at most {limit} characters")
    if v["owner_kind"] not in OWNER_KINDS:
        bad("owner_kind", f"「{v['owner_kind']}」ではなく ward（区役所）か bureau（局）と書いてください。",
            f"{v['owner_kind']!r} must be ward or bureau")
    if v["field"] not in FIELD_BY_NAME:
        bad("field", f"「{v['field']}」は分野名ではありません。次のいずれかを正確に書いてください："
                     f"{'、'.join(FIELD_BY_NAME)}", f"unknown field {v['field']!r}; use one of the 12 field names exactly")
    if v["contract"] not in ("0", "1"):
        bad("contract", f"「{v['contract']}」ではなく 0（契約なし）か 1（協働契約あり）と書いてください。",
            f"{v['contract']!r} must be 0 or 1")
    if v["origin"] not in ("", *ORIGINS):
        bad("origin", f"「{v['origin']}」ではなく city（第9条）、citizen（第10条）または空欄にしてください。",
            f"{v['origin']!r} must be city, citizen or empty")
    count = _int(v["contract_count"])
    if count is None:
        bad("contract_count", f"「{v['contract_count']}」は0以上の整数ではありません。",
            f"{v['contract_count']!r} is not a whole number")
    amount = None
    if v["contract_amount_yen"]:
        amount = _int(v["contract_amount_yen"])
        if amount is None:
            bad("contract_amount_yen", f"「{v['contract_amount_yen']}」は0以上の整数（円、カンマなし）ではありません。",
                f"{v['contract_amount_yen']!r} is not a whole number of yen (no commas)")
    contracted = v["contract"] == "1"
    if contracted:
        if not v["origin"]:
            bad("origin", "協働契約のある事業は origin（city または citizen）が必要です。",
                "a contracted project needs its origin (city or citizen)")
        if count == 0:
            bad("contract_count", "協働契約のある事業の契約件数は1以上です。", "a contracted project has at least one contract")
        if not v["partner"]:
            bad("partner", "協働契約のある事業は相手方（partner）が必要です。", "a contracted project names its partner")
    elif v["contract"] == "0":
        if count:
            bad("contract_count", "協働契約のない事業の契約件数は0です。", "a project without a contract has 0 contracts")
        if amount:
            bad("contract_amount_yen", "協働契約のない事業に契約金額は書けません。",
                "a project without a contract has no contract amount")
    if found:
        return None, found
    return RegistryRow(
        id=v["id"], name=v["name"], owner_kind=v["owner_kind"], owner=v["owner"], section=v["section"],
        field=FIELD_BY_NAME[v["field"]], partner=v["partner"], contract=contracted, origin=v["origin"] or None,
        contract_count=count, contract_amount_yen=amount,
    ), []


def parse(data: bytes, progress: Callable[[int, int], None] | None = None) -> list[RegistryRow]:
    """Every row of a registry file, or ``RegistryFileError`` listing every problem."""
    text, problems = _decode(data)
    if text is None:
        raise RegistryFileError(problems)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise RegistryFileError([Problem(1, "", "ファイルが空です。", "the file is empty")]) from None
    except csv.Error as exc:
        raise RegistryFileError([Problem(1, "", f"CSVとして読めません（{exc}）。", f"not CSV: {exc}")]) from None
    problems = _check_header(header)
    if problems:
        raise RegistryFileError(problems)
    rows: list[RegistryRow] = []
    first_line: dict[str, int] = {}
    records: list[tuple[int, list[str]]] = []
    line = reader.line_num  # the physical line a record starts on follows the previous one
    try:
        for record in reader:
            start, line = line + 1, reader.line_num
            if "".join(record).strip():  # a blank line, or one of empty cells only, is skipped
                records.append((start, record))
    except csv.Error as exc:
        problems.append(Problem(line + 1, "", f"CSVとして読めません（{exc}）。", f"not CSV: {exc}"))
    total = len(records)
    for done, (start, record) in enumerate(records, start=1):
        if len(record) != len(COLUMNS):
            problems.append(Problem(start, "", f"列の数が{len(record)}です（{len(COLUMNS)}列必要です）。",
                                    f"{len(record)} values; {len(COLUMNS)} expected"))
        else:
            row, found = _check_row(start, dict(zip(COLUMNS, [unmark(c).strip() for c in record])))
            problems += found
            if row is not None:
                if row.id in first_line:
                    problems.append(Problem(start, "id", f"id「{row.id}」は{first_line[row.id]}行目と重複しています。",
                                            f"id {row.id!r} repeats line {first_line[row.id]}"))
                else:
                    first_line[row.id] = start
                    rows.append(row)
        if progress and (done % 100 == 0 or done == total):
            progress(done, total)
    if not records and not problems:
        problems.append(Problem(2, "", "事業の行がありません。", "the file has no project rows"))
    if problems:
        raise RegistryFileError(sorted(problems, key=lambda p: p.line))
    return rows



def write_csv(rows: Iterable[RegistryRow], out: io.TextIOBase) -> int:
    """The import format, so that an export can be edited and imported again."""
    writer = SafeWriter(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    n = 0
    for row in rows:
        writer.writerow(row.csv_values())
        n += 1
    return n
