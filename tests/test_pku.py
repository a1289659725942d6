"""PKU-DFIIC official workbook layout (from ../shared, never copied into the project)."""

import duckdb
import pytest


@pytest.fixture(scope="module")
def con(full_warehouse):
    with duckdb.connect(str(full_warehouse), read_only=True) as connection:
        yield connection


def test_338_cities_over_2011_2023(con):
    (cities, first, last), = con.execute("""
        SELECT count(DISTINCT adcode), min(data_year), max(data_year) FROM rankings
        WHERE family = 'pku_dfiic' AND level = 'city'""").fetchall()
    assert (cities, first, last) == (338, 2011, 2023)
    (provinces,), = con.execute("SELECT count(DISTINCT adcode) FROM rankings WHERE family = 'pku_dfiic' "
                                "AND level = 'province'").fetchall()
    assert provinces == 31


def test_hangzhou_2020_aggregate_and_computed_rank(con):
    (value, rank, source, ranked), = con.execute("""
        SELECT value, rank, rank_source,
               (SELECT count(*) FROM rankings WHERE family = 'pku_dfiic' AND level = 'city' AND data_year = 2020
                AND indicator = 'index_aggregate' AND rank IS NOT NULL)
        FROM rankings WHERE family = 'pku_dfiic' AND level = 'city' AND data_year = 2020
             AND indicator = 'index_aggregate' AND region_zh = '杭州市'""").fetchall()
    assert round(value, 2) == 334.48 and rank == 1 and source == "computed" and ranked == 333
    top5 = [r[0] for r in con.execute("""
        SELECT region_short_zh FROM rankings WHERE family = 'pku_dfiic' AND level = 'city' AND data_year = 2020
        AND indicator = 'index_aggregate' ORDER BY rank LIMIT 5""").fetchall()]
    assert top5 == ["杭州", "上海", "深圳", "厦门", "南京"]


def test_laiwu_keeps_its_own_adcode_through_2020(con):
    years = con.execute("""
        SELECT data_year, adcode FROM rankings WHERE family = 'pku_dfiic' AND raw_name = '莱芜市'
        AND indicator = 'index_aggregate' ORDER BY data_year""").fetchall()
    assert [y for y, _ in years] == list(range(2011, 2021))
    assert {a for _, a in years} == {"371200"}
    (jinan_2020,), = con.execute("""SELECT count(*) FROM rankings WHERE family = 'pku_dfiic' AND adcode = '370100'
                                    AND data_year = 2020 AND indicator = 'index_aggregate'""").fetchall()
    assert jinan_2020 == 1  # 济南 has one row of its own, nothing folded in


def test_renamed_prefectures_resolve_through_the_2014_codes(con):
    names = dict(con.execute("""SELECT raw_name, adcode FROM rankings WHERE family = 'pku_dfiic' AND data_year = 2023
                                AND indicator = 'index_aggregate' AND adcode IN ('540500', '650400')""").fetchall())
    assert names == {"山南市": "540500", "吐鲁番市": "650400"}


def test_missing_sub_indices_are_null_not_zero(con):
    rows = con.execute("""
        SELECT indicator, count(*) FILTER (WHERE value IS NULL), count(*) FILTER (WHERE value = 0), count(*)
        FROM rankings WHERE family = 'pku_dfiic' AND level = 'city' AND data_year = 2020
        GROUP BY indicator""").fetchall()
    by = {ind: (nulls, zeros, total) for ind, nulls, zeros, total in rows}
    assert by["monetary_fund"] == (333, 0, 333)
    assert by["credit_investigation"][0] == 333
    assert by["index_aggregate"][0] == 0
    (inv_2013_nulls,), = con.execute("""SELECT count(*) FILTER (WHERE value IS NULL) FROM rankings
        WHERE family = 'pku_dfiic' AND indicator = 'investment' AND data_year = 2013""").fetchall()
    assert inv_2013_nulls > 300
    (ranked_nulls,), = con.execute("SELECT count(*) FROM rankings WHERE family = 'pku_dfiic' AND value IS NULL "
                                   "AND rank IS NOT NULL").fetchall()
    assert ranked_nulls == 0


def test_negative_published_values_are_kept(con):
    (negatives,), = con.execute("SELECT count(*) FROM rankings WHERE family = 'pku_dfiic' AND level = 'city' "
                                "AND value < 0").fetchall()
    assert negatives > 0


def test_computed_ranks_share_the_best_rank_on_ties_and_skip_the_next(con):
    """Real tie: 鹤岗 and 鄂州 both have coverage_breadth 51.32 in 2011."""
    rows = con.execute("""
        SELECT region_zh, value, rank FROM rankings WHERE family = 'pku_dfiic' AND level = 'city'
        AND data_year = 2011 AND indicator = 'coverage_breadth' AND rank BETWEEN 126 AND 129 ORDER BY rank, region_zh
        """).fetchall()
    tied = [(name, rank) for name, value, rank in rows if value == 51.32]
    assert sorted(tied) == [("鄂州市", 127), ("鹤岗市", 127)]
    assert 128 not in [rank for *_, rank in rows] and 129 in [rank for *_, rank in rows]
