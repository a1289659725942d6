"""Property-based tests: mutated real reports either load or fail cleanly — never a traceback, never a change.

Each example takes the 2019 edition as shipped (data/examples/new_report_2019_edition.csv, real rows), applies a
few random mutations (change cells, delete/duplicate rows, swap/delete columns, add title rows, re-encode, mix
encodings, insert junk bytes, truncate, save as XLSX) and runs `python -m etl add FILE --meta META --replace`
(in-process) against a published copy of data/raw. The invariant:

- exit 0 (the mutation was harmless): the new warehouse opens read-only and passes its integrity check; or
- exit 1 with "N problem(s) in the input", every problem line naming the report or its sidecar, and
  "Nothing was published" — and then the warehouse is byte-identical (sha256) and data/raw is unchanged.

Anything else (another exit code, an exception escaping `main`, a traceback) fails. Bounded for `make test`
(PROPERTY_EXAMPLES, default 40, ~1 s each); `make soak` runs more.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from etl import commands
from etl.__main__ import main
from etl.publish import integrity_problems
from tests.conftest import EXAMPLES, FIXTURES, copy_raw, quiet
from tests.soak import RESULTS

EXAMPLE = EXAMPLES / "new_report_2019_edition.csv"
META = FIXTURES / "bad" / "good.meta.yml"
ROWS = list(csv.reader(io.StringIO(EXAMPLE.read_text(encoding="utf-8"))))
EXAMPLES_TO_RUN = int(os.environ.get("PROPERTY_EXAMPLES", "40"))

# Cell texts worth trying besides random text: numbers in many spellings, missing markers, formulas, markup,
# names (traditional, county, misspelt, province at city level), levels, control and separator characters.
TRICKY = ["", " ", "—", "-", "N/A", "nan", "None", "NULL", "1,234.5", "1.234,5", "１２", "0", "-1", "6.5", "1e3",
          "12%", "inf", "=1+1", '=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "<script>x</script>", "重慶",
          "重庆市", "鼓楼区", "西按", "四川", "county", "province", "市", "2018年", "9999", '"', '""', ",", "\n",
          "\r", "\x00", "\x1b[31m", "\u2028", "\u3000重庆", "\ufeff", "javascript:alert(1)", "NO_URL:x"]
cell_text = st.one_of(st.sampled_from(TRICKY), st.text(max_size=12))
index = st.integers(min_value=0, max_value=10_000)

row_ops = st.one_of(
    st.tuples(st.just("set"), index, index, cell_text),
    st.tuples(st.just("delete_row"), index),
    st.tuples(st.just("duplicate_row"), index),
    st.tuples(st.just("swap_rows"), index, index),
    st.tuples(st.just("swap_columns"), index, index),
    st.tuples(st.just("delete_column"), index),
    st.tuples(st.just("header"), index, cell_text),
)
byte_ops = st.one_of(
    st.tuples(st.just("encode"), st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030", "big5", "utf-16"])),
    st.tuples(st.just("mixed"), index),
    st.tuples(st.just("crlf")),
    st.tuples(st.just("junk"), index, st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("truncate"), index),
)
title_rows = st.one_of(st.just(0), st.integers(min_value=1, max_value=32))
mutations = st.tuples(st.lists(row_ops, max_size=4), title_rows, st.booleans(), st.lists(byte_ops, max_size=2))


def apply_row_op(rows: list[list[str]], op: tuple) -> list[list[str]]:
    rows = [list(r) for r in rows]
    body = len(rows) - 1
    kind = op[0]
    if kind == "set" and body:
        r = 1 + op[1] % body
        if rows[r]:
            rows[r][op[2] % len(rows[r])] = op[3]
    elif kind == "delete_row" and body:
        del rows[1 + op[1] % body]
    elif kind == "duplicate_row" and body:
        r = 1 + op[1] % body
        rows.insert(r, list(rows[r]))
    elif kind == "swap_rows" and body:
        a, b = 1 + op[1] % body, 1 + op[2] % body
        rows[a], rows[b] = rows[b], rows[a]
    elif kind in ("swap_columns", "delete_column", "header"):
        width = len(rows[0])
        if kind == "swap_columns":
            a, b = op[1] % width, op[2] % width
            for row in rows:
                if len(row) > max(a, b):
                    row[a], row[b] = row[b], row[a]
        elif kind == "delete_column" and width > 1:
            c = op[1] % width
            for row in rows:
                if len(row) > c:
                    del row[c]
        else:
            rows[0][op[1] % width] = op[2]
    return rows


def to_csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def to_xlsx(rows: list[list[str]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        # openpyxl refuses control characters in cells: write them escaped, as a user's tool would have to
        ws.append([re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "?", c) for c in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def apply_byte_op(data: bytes, op: tuple, text: str) -> bytes:
    kind = op[0]
    if kind == "encode":
        return text.encode(op[1], errors="replace")
    if kind == "mixed":
        lines = text.splitlines(keepends=True)
        r = op[1] % max(len(lines), 1)
        return b"".join(line.encode("gbk" if i == r else "utf-8", errors="replace") for i, line in enumerate(lines))
    if kind == "crlf":
        return data.replace(b"\n", b"\r\n")
    if kind == "junk":
        at = op[1] % (len(data) + 1)
        return data[:at] + op[2] + data[at:]
    at = op[1] % (len(data) + 1)  # truncate
    return data[:at]


def build_input(mutation: tuple) -> tuple[str, bytes]:
    row_mutations, titles, as_xlsx, byte_mutations = mutation
    rows = ROWS
    for op in row_mutations:
        rows = apply_row_op(rows, op)
    rows = [["《数字中国指数报告(2019)》 城市排名"] for _ in range(titles)] + rows  # title rows above the header
    text = to_csv_text(rows)
    if as_xlsx:
        data, name = to_xlsx(rows), "mutated.xlsx"
    else:
        data, name = text.encode("utf-8"), "mutated.csv"
    for op in byte_mutations:
        data = apply_byte_op(data, op, text)
    return name, data


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): sha(p) if p.is_file() else "dir" for p in sorted(path.rglob("*"))}


OUTCOMES: Counter = Counter()  # exit codes of the examples run
PROBLEMS: Counter = Counter()  # kinds of problems reported (see problem_kind)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("properties")
    raw, warehouse = copy_raw(root), root / "warehouse" / "index.duckdb"
    commands.build(raw, warehouse, quiet)
    inputs = root / "inputs"
    inputs.mkdir()
    yield raw, warehouse, inputs
    if OUTCOMES:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "properties.json").write_text(json.dumps({
            "max_examples": EXAMPLES_TO_RUN, "examples_run": sum(OUTCOMES.values()),
            "exit_codes": {str(k): v for k, v in sorted(OUTCOMES.items())},
            "problem_kinds": dict(PROBLEMS.most_common())}, ensure_ascii=False, indent=1), encoding="utf-8")


def problem_kind(line: str) -> str:
    """A problem line without its location, quoted texts and numbers: 'value … is not a number (…)'."""
    message = line.split(": ", 1)[-1]
    return re.sub(r"'[^']*'|\"[^\"]*\"|\([^)]*\)|\[[^]]*\]|\d+|[\u3400-\u9fff]+", "…", message)[:70]


def run_main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)  # an exception escaping here is a failure of the property
    return code, out.getvalue(), err.getvalue()


def assert_clean_failure(err: str, names: tuple[str, ...]) -> None:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert re.fullmatch(r"\d+ problem\(s\) in the input:", lines[0]), err
    assert lines[-1] == "Nothing was published; the warehouse is unchanged.", err
    for line in lines[1:-1]:
        assert line.startswith(tuple(f"  - {n}" for n in names)) or re.fullmatch(r"  … and \d+ more", line), \
            f"problem line does not name the file: {line!r}\n{err}"


def test_the_unmutated_report_loads(tmp_path):
    """The starting point is a good report (otherwise every example would fail trivially)."""
    code, out, err = run_main(["--raw-dir", str(tmp_path), "--warehouse", str(tmp_path / "wh.duckdb"), "check",
                               str(EXAMPLE), "--meta", str(META)])
    assert code == 0 and "is valid (51 observations)" in out, err


@settings(max_examples=EXAMPLES_TO_RUN, deadline=None, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutation=mutations)
def test_mutated_report_loads_or_fails_cleanly(workspace, mutation):
    raw, warehouse, inputs = workspace
    name, data = build_input(mutation)
    for old in inputs.iterdir():
        old.unlink()
    path = inputs / name
    path.write_bytes(data)
    before_wh, before_raw = sha(warehouse), tree(raw)
    code, _, err = run_main(["--raw-dir", str(raw), "--warehouse", str(warehouse), "add", str(path), "--meta",
                             str(META), "--replace", "--skip-geo"])
    assert code in (0, 1), err
    event(f"exit {code}")
    OUTCOMES[code] += 1
    assert not [p.name for p in raw.iterdir() if p.name.startswith(".staging-")]
    assert not list(warehouse.parent.glob(warehouse.name + ".tmp-*"))
    if code == 0:
        assert integrity_problems(warehouse) == []
        return
    assert_clean_failure(err, (str(path), str(META)))
    PROBLEMS.update({problem_kind(line) for line in err.splitlines()[1:-1] if line.startswith("  - ")})
    assert sha(warehouse) == before_wh
    assert tree(raw) == before_raw
