"""Format adapters: long table, report table (title rows, synonyms, several rank/value columns), PKU workbook."""

import csv
from pathlib import Path

import pandas as pd
import pytest
import yaml

from etl.catalogue import families
from etl.harmonize import harmonize
from etl.parse import parse
from etl.problems import Problems
from etl.regions import region_master, resolver
from etl.sidecar import load_sidecar, parse_sidecar
from tests.conftest import RAW

DATA = Path(__file__).parent / "data"


def observations(sidecar_path: Path, raw: Path | None = None) -> tuple[pd.DataFrame, Problems]:
    sc = load_sidecar(sidecar_path)
    if raw is not None:
        sc.file = raw.name
        sc.path = raw.parent / sidecar_path.name
    problems = Problems()
    obs = harmonize(parse(sc.raw_path, sc), sc, families()[sc.family], resolver(), region_master(), problems)
    return obs, problems


def test_long_adapter_reads_the_tencent_file():
    obs, problems = observations(RAW / "tencent_internet_plus" / "2017" / "rankings.meta.yml")
    assert not problems.errors
    cq = obs[(obs["adcode"] == "500100") & (obs["indicator"] == "total")]
    assert cq[["data_year", "rank", "level", "basis"]].values.tolist() == [[2016, 8, "city", "stated"]]
    assert obs["value"].isna().all()


def test_report_table_adapter_pairs_rank_columns_with_indicators():
    obs, problems = observations(DATA / "report_table_2018.meta.yml", DATA / "report_table_2018.csv")
    assert not problems.errors, [str(p) for p in problems.errors]
    cq = obs[obs["adcode"] == "500100"].set_index("indicator")["rank"].to_dict()
    assert cq == {"total": 7, "digital_economy": 9}
    assert obs.loc[obs["raw_name"] == "长沙", "rank"].isna().tolist() == [False, True]  # empty cell: not published
    assert obs["_row"].min() == 4  # two title rows and the header come first


def test_report_table_with_values_from_the_pku_panel(shared_dir, tmp_path):
    """A wide table of real PKU-DFIIC 2020 values (written to a temporary file, never into the project)."""
    source = shared_dir / "datasets" / "pku_dfiic" / "PKU_DFIIC_city_2011_2023.csv"
    with open(source, encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["year"] == "2020" and r["pref_code_year14"].startswith("33")]
    table = tmp_path / "pku_2020.csv"
    with open(table, "w", encoding="gb18030", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["城市名稱", "總指數", "覆盖广度"])  # traditional headers, GB18030 bytes
        writer.writerows([r["pref_name_year18"], f"{float(r['index_aggregate']):,.4f}", r["coverage_breadth"]]
                         for r in rows)
    meta = yaml.safe_load((Path(__file__).parent.parent / "data" / "templates" /
                           "pku_dfiic_2011_2023.meta.yml").read_text(encoding="utf-8"))
    meta.update(format="report_table", data_year=2020, indicators={"總指數": "index_aggregate",
                                                                   "覆盖广度": "coverage_breadth"})
    meta.pop("data_years")
    sidecar = tmp_path / "pku_2020.meta.yml"
    sidecar.write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    obs, problems = observations(sidecar, table)
    assert not problems.errors, [str(p) for p in problems.errors]
    hangzhou = obs[(obs["raw_name"] == "杭州市") & (obs["indicator"] == "index_aggregate")]
    assert round(float(hangzhou["value"].iloc[0]), 2) == 334.48
    assert len(obs) == 2 * 11  # the 11 cities of 浙江, two indicators


def test_pku_adapter_reads_both_sheets(pku_workbook, tmp_path):
    sidecar = Path(__file__).parent.parent / "data" / "templates" / "pku_dfiic_2011_2023.meta.yml"
    obs, problems = observations(sidecar, pku_workbook)
    assert not problems.errors
    assert set(obs["level"]) == {"city", "province"}
    assert len(obs) == (4369 + 403) * 10


def test_sidecar_problems_name_the_key_and_its_line(tmp_path):
    text = "family: tencent_internet_plus\nedition: '2019'\npublished: yesterday\nformat: pdf\ncolour: red\n"
    with pytest.raises(Exception) as err:
        parse_sidecar(tmp_path / "x.meta.yml", text)
    report = str(err.value)
    assert "x.meta.yml, row 3, key 'published': key 'published': 'yesterday' is not a date" in report
    assert "key 'format': 'pdf' is not one of long, report_table, pku_workbook" in report
    assert "row 5, key 'colour': unknown key 'colour'" in report
    assert "required key 'citation' is missing" in report
