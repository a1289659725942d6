"""Building the embedded Tencent data: ranks in the public view, provenance, atomic publish, run records."""

import csv
import os

import duckdb
import pytest

from etl import commands, publish
from tests.conftest import RAW, quiet


def rows(warehouse, sql, params=()):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_chongqing_total_rank_8_then_7(embedded_warehouse):
    found = rows(embedded_warehouse, """
        SELECT data_year, rank, rank_source, value FROM rankings
        WHERE region_zh = '重庆市' AND level = 'city' AND indicator = 'total' AND scope = 'national'
        ORDER BY data_year""")
    assert found == [(2016, 8, "published", None), (2017, 7, "published", None)]


def test_rankings_view_has_the_documented_columns(embedded_warehouse):
    with duckdb.connect(str(embedded_warehouse), read_only=True) as con:
        columns = [c[0] for c in con.execute("DESCRIBE rankings").fetchall()]
    for col in ("family", "edition", "data_year", "adcode", "region_zh", "region_en", "level", "province_zh",
                "economic_region", "is_west", "indicator", "indicator_zh", "indicator_en", "value", "rank",
                "rank_source", "scope", "basis", "source_url"):
        assert col in columns


def test_only_ranks_published_means_value_null_never_zero(embedded_warehouse):
    (zeros, nulls, valued), = rows(embedded_warehouse, """
        SELECT count(*) FILTER (WHERE value = 0), count(*) FILTER (WHERE value IS NULL),
               count(*) FILTER (WHERE value IS NOT NULL) FROM rankings""")
    assert zeros == 0 and nulls == 109 and valued == 1  # 北京 数字产业 32.16 is the one published value
    assert rows(embedded_warehouse, "SELECT region_zh, value, rank FROM rankings WHERE value IS NOT NULL") == \
        [("北京市", 32.16, 1)]


def test_derived_rows_are_flagged_and_keep_their_wording(embedded_warehouse):
    derived = rows(embedded_warehouse, "SELECT region_zh, data_year, rank, basis_note FROM rankings WHERE basis = "
                                       "'derived' AND rank_at_most IS NULL ORDER BY edition, data_year, rank")
    assert len(derived) == 12
    assert ("福州市", 2015, 10) in [d[:3] for d in derived]
    assert all(note for *_, note in derived)


def test_every_row_keeps_its_source(embedded_warehouse):
    (missing,), = rows(embedded_warehouse, "SELECT count(*) FROM rankings WHERE source_url IS NULL OR source_url = ''")
    assert missing == 0
    releases = rows(embedded_warehouse, "SELECT release_id, raw_sha256, array_length(source_urls), citation "
                                        "FROM release ORDER BY release_id")
    assert [r[0] for r in releases] == ["tencent_internet_plus/2016", "tencent_internet_plus/2017",
                                        "tencent_internet_plus/2018"]
    assert all(len(r[1]) == 64 and r[2] >= 1 and r[3] for r in releases)


def test_renamed_indicators_share_a_concept(embedded_warehouse):
    concepts = dict(rows(embedded_warehouse, "SELECT indicator, concept FROM release_indicator "
                                             "WHERE indicator IN ('smart_city', 'smart_livelihood_user_scale')"))
    assert concepts["smart_city"] == "smart_livelihood"


def test_bands_are_stored_as_bands_never_as_ranks(embedded_warehouse):
    """"In the top 10" keeps rank NULL everywhere: in the public view, in computed ranks and in rank changes."""
    bands = rows(embedded_warehouse, """
        SELECT region_short_zh, count(*), count(rank), min(rank_at_most), max(rank_at_most), min(rank_source)
        FROM rankings WHERE edition = '2018' AND indicator_kind = 'sub_industry' GROUP BY ALL ORDER BY 1""")
    assert bands == [("成都", 10, 0, 10, 10, None), ("重庆", 10, 0, 10, 10, None)]
    (changes,), = rows(embedded_warehouse, "SELECT count(*) FROM rank_changes c JOIN indicator i "
                                           "ON i.code = c.indicator WHERE i.kind = 'sub_industry'")
    assert changes == 0
    zhengzhou = rows(embedded_warehouse, "SELECT rank, rank_at_most, source_url FROM rankings WHERE edition = '2016' "
                                         "AND region_short_zh = '郑州' AND indicator = 'innovation_entrepreneurship'")
    assert zhengzhou == [(None, 20, "https://hunan.voc.com.cn/mobile/article/201606/201606170827073897.html")]


def test_raw_files_are_the_reference_rows_split_by_edition(shared_dir):
    """The embedded files hold exactly the rows of the compiled reference (ranks, derived ranks and bands), split
    by report_year."""
    ref = shared_dir / "reference" / "tencent_internet_plus"
    expected = []
    for name in ("rankings_2016_2018.csv", "rankings_derived_2016_2018.csv", "rank_bands_2016_2018.csv"):
        with open(ref / name, encoding="utf-8") as handle:
            expected += [{"basis_note": "", "rank_at_most": "", **r} for r in csv.DictReader(handle)]
    embedded = []
    for edition in ("2016", "2017", "2018"):
        with open(RAW / "tencent_internet_plus" / edition / "rankings.csv", encoding="utf-8") as handle:
            embedded += list(csv.DictReader(handle))
    embedded = [{"rank_at_most": "", **r} for r in embedded]  # 2017 has no bands, so no such column
    key = lambda r: tuple(sorted(r.items()))  # noqa: E731
    assert sorted(map(key, embedded)) == sorted(map(key, expected))


def test_rebuild_replaces_the_file_atomically_and_records_runs(workspace):
    raw, warehouse = workspace
    commands.build(raw, warehouse, quiet)
    first_inode = os.stat(warehouse).st_ino
    commands.build(raw, warehouse, quiet)
    assert os.stat(warehouse).st_ino != first_inode  # a new file was renamed over the old one
    assert not list(warehouse.parent.glob("*.tmp-*"))
    runs = rows(warehouse, "SELECT command, status FROM etl_run ORDER BY started_at")
    assert runs == [("build", "success"), ("build", "success")]
    assert publish.integrity_problems(warehouse) == []


def test_failed_run_is_logged_and_shows_up_after_the_next_success(workspace):
    raw, warehouse = workspace
    commands.build(raw, warehouse, quiet)
    sidecar = raw / "tencent_internet_plus" / "2016" / "rankings.meta.yml"
    good = sidecar.read_text(encoding="utf-8")
    sidecar.write_text(good.replace("family: tencent_internet_plus", "family: nope"), encoding="utf-8")
    with pytest.raises(Exception, match="unknown family 'nope'"):
        commands.build(raw, warehouse, quiet)
    sidecar.write_text(good, encoding="utf-8")
    commands.build(raw, warehouse, quiet)
    assert rows(warehouse, "SELECT status FROM etl_run ORDER BY started_at") == \
        [("success",), ("failed",), ("success",)]


def test_a_changed_raw_file_is_caught_by_its_sha256(workspace):
    raw, warehouse = workspace
    path = raw / "tencent_internet_plus" / "2017" / "rankings.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("重庆", "重慶"), encoding="utf-8")
    with pytest.raises(Exception, match=r"sha256 of rankings\.csv"):
        commands.build(raw, warehouse, quiet)
    assert not warehouse.exists()


def test_leftover_temporary_files_are_removed_by_the_next_run(workspace):
    raw, warehouse = workspace
    warehouse.parent.mkdir(parents=True)
    stale = warehouse.with_name(warehouse.name + ".tmp-999-deadbeef")
    stale.write_bytes(b"half a warehouse")
    commands.build(raw, warehouse, quiet)
    assert not stale.exists()


def test_second_run_waits_then_refuses_while_the_lock_is_held(workspace):
    raw, warehouse = workspace
    with publish.publish_lock(warehouse, 1), pytest.raises(publish.LockBusy, match="another ETL run"):
        commands.build(raw, warehouse, quiet, wait=0.5)
