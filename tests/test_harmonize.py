"""Harmonize: cell text → numbers, synonyms → canonical values (parser behaviour, no index data involved)."""

import pandas as pd

from etl.harmonize import _numbers


def test_numbers_accept_common_spellings_and_flag_the_rest():
    raw = pd.Series(["1234.5", "1,234.5", "１２３", " 7 ", "12%", "", "—", "N/A", "abc", "-3.5"])
    values, bad = _numbers(raw, missing=())
    assert values.tolist()[:5] == [1234.5, 1234.5, 123.0, 7.0, 12.0]
    assert pd.isna(values[5]) and not bad[5]  # empty: not published
    assert bad[6] and bad[7] and bad[8]  # dashes, N/A and words are errors unless declared missing
    assert values[9] == -3.5


def test_declared_missing_markers_mean_not_published():
    values, bad = _numbers(pd.Series(["—", "N/A", "5"]), missing=("—", "N/A"))
    assert values.isna().tolist() == [True, True, False] and not bad.any()
