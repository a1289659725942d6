"""Ranks computed at publish time, on integer arrays (one element per observation).

The observations of a ranking sit next to each other once sorted, so the ranks are runs of a sorted array:
one sort per release gives the storage order and the ranks computed from values; the ranks within a province
or the west are one more stable sort of that order. Ties share the best rank (1, 2, 2, 4) throughout.
"""

from __future__ import annotations

import numpy as np


def run_starts(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """For sorted (groups, values): the position where each element's run of equal values begins."""
    n = len(values)
    positions = np.arange(n)
    new = np.ones(n, dtype=bool)
    new[1:] = (groups[1:] != groups[:-1]) | (values[1:] != values[:-1])
    return np.maximum.accumulate(np.where(new, positions, 0))


def group_starts(groups: np.ndarray) -> np.ndarray:
    """For sorted groups: the position where each element's group begins."""
    n = len(groups)
    new = np.ones(n, dtype=bool)
    new[1:] = groups[1:] != groups[:-1]
    return np.maximum.accumulate(np.where(new, np.arange(n), 0))


def competition_ranks(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """1 + the number of smaller values in the group, for (groups, values) sorted (ties: 1, 2, 2, 4)."""
    return (run_starts(values, groups) - group_starts(groups) + 1).astype(np.float64)


def _dense(groups: np.ndarray) -> np.ndarray:
    """For sorted groups: 0, 1, … per group, in the smallest unsigned type (NumPy's stable sort is a radix sort
    up to 16 bits)."""
    dense = np.cumsum(np.r_[False, groups[1:] != groups[:-1]])
    return dense.astype(np.uint16 if dense.max(initial=0) < 1 << 16 else np.uint32)


def ordered(group: np.ndarray, published: np.ndarray, key: np.ndarray, region: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort one release's observations into ranking order and complete the ranks.

    group: the ranking (period, level, year, indicator, scope) as a sortable integer; published: published ranks
    (NaN: none); key: the value to rank by where a ranking has no published rank at all (smaller is better, NaN:
    no value); region: the tie-break. Returns the order and, in that order, the ranks and whether each was
    computed from its value.
    """
    by_group = np.argsort(group, kind="stable")  # rows come grouped in most files: nearly a single pass
    sorted_group = group[by_group]
    dense = np.empty(len(group), dtype=np.int64)
    dense[by_group] = np.cumsum(np.r_[True, sorted_group[1:] != sorted_group[:-1]]) - 1
    has_published = np.zeros(len(group), dtype=bool)
    has_published[dense[~np.isnan(published)]] = True
    computed_group = ~has_published[dense]
    primary = np.where(computed_group, key, published)  # NaN sorts last: unranked rows after the ranked
    order = _within_groups(by_group, group, primary, region)
    sorted_group, sorted_primary = group[order], primary[order]
    computed = computed_group[order] & ~np.isnan(sorted_primary)
    ranks = np.where(computed, competition_ranks(sorted_primary, sorted_group), published[order])
    return order, ranks, computed


def _within_groups(by_group: np.ndarray, group: np.ndarray, primary: np.ndarray, region: np.ndarray) -> np.ndarray:
    """by_group, each group's rows sorted by (primary, region): the same as np.lexsort((region, primary, group)),
    but sorting each ranking on its own is several times faster than sorting all rows by float keys at once."""
    sorted_group = group[by_group]
    bounds = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1], True])
    if len(bounds) - 1 > max(1, len(group) // 256):  # many tiny rankings: one sort beats a loop over them
        return np.lexsort((region, primary, group))
    blocks = np.split(by_group, bounds[1:-1])
    return np.concatenate([block[np.lexsort((region[block], primary[block]))] for block in blocks]) \
        if blocks else by_group


def group_sizes(groups: np.ndarray) -> np.ndarray:
    """For sorted groups: how many elements each element's group holds."""
    bounds = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1], True])
    sizes = np.diff(bounds)
    return np.repeat(sizes, sizes)


def within(ranking: np.ndarray, part: np.ndarray, ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank and count within each part (a province, the west: small unsigned integers) of each ranking, for rows
    in ranking order."""
    rankings = _dense(ranking)
    by_part = np.argsort(part, kind="stable")  # radix sorts: parts, then rankings, keep the rank order
    by_part = by_part[np.argsort(rankings[by_part], kind="stable")]
    key = rankings.astype(np.int64)[by_part] * (int(part.max(initial=0)) + 1) + part[by_part]
    place, size = np.empty(len(ranks)), np.empty(len(ranks))
    place[by_part] = competition_ranks(ranks[by_part], key)
    size[by_part] = group_sizes(key)
    return place, size
