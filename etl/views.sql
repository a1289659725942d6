-- Derived tables and the public views, built once at publish time.

-- rankings_data: every observation joined to its dimensions once, at publish time, and stored sorted by
-- family, concept, level, scope, period. DuckDB keeps min/max per row group, so a page's filter on family +
-- indicator + period (or concept, for histories) reads a few row groups instead of millions of rows.
-- Also precomputed (national scope, published periods, among the regions ranked in the same ranking):
-- rank within the province and within the west/non-west group, and the region's total-index rank.
CREATE TABLE rankings_data AS
WITH obs AS (
    SELECT r.family, r.edition, o.data_year, o.period, o.release_id, r.framework,
           o.adcode, g.name_zh AS region_zh, g.short_zh AS region_short_zh, g.name_en AS region_en, o.level,
           g.province_adcode, g.province_zh, g.province_en, g.economic_region, g.is_west,
           o.indicator, i.name_zh AS indicator_zh, i.name_en AS indicator_en, i.kind AS indicator_kind,
           i.parent AS indicator_parent, i.sort AS indicator_sort, ri.concept, c.name_zh AS concept_zh,
           c.name_en AS concept_en, o.value, o.rank, o.rank_at_most, o.rank_source, o.scope, o.basis,
           o.basis_note, o.source_url,
           o.source_file || ':' || CASE WHEN regexp_matches(o.source_file, ':p[0-9]+[LR]?$') THEN 'r' ELSE '' END
               || o.source_row AS source_ref, o.raw_name, o.is_restated,
           o.scope = 'national' AND NOT o.is_restated AND o.rank IS NOT NULL AS _in_ranking
    FROM observation o
    JOIN release r USING (release_id)
    JOIN region g ON g.adcode = o.adcode AND g.level = o.level
    JOIN indicator i ON i.family = r.family AND i.code = o.indicator
    JOIN release_indicator ri ON ri.release_id = o.release_id AND ri.indicator = o.indicator
    LEFT JOIN concept c ON c.family = r.family AND c.concept = ri.concept
),
nat AS (
    SELECT family, period, indicator, indicator_kind, level, adcode, province_adcode, is_west, rank
    FROM obs WHERE _in_ranking
),
within AS (
    SELECT family, period, indicator, level, adcode,
           rank() OVER (PARTITION BY family, period, indicator, level, province_adcode ORDER BY rank) AS province_rank,
           count(*) OVER (PARTITION BY family, period, indicator, level, province_adcode) AS province_ranked,
           CASE WHEN is_west THEN rank() OVER (PARTITION BY family, period, indicator, level, is_west ORDER BY rank)
                END AS west_rank,
           CASE WHEN is_west THEN count(*) OVER (PARTITION BY family, period, indicator, level, is_west)
                END AS west_ranked,
           count(*) OVER (PARTITION BY family, period, indicator, level) AS ranked
    FROM nat
),
totals AS (
    SELECT family, period, level, adcode, min(rank) AS total_rank FROM nat WHERE indicator_kind = 'total' GROUP BY ALL
)
SELECT o.* EXCLUDE (_in_ranking), w.province_rank, w.province_ranked, w.west_rank, w.west_ranked, w.ranked,
       t.total_rank
FROM obs o
LEFT JOIN within w ON o._in_ranking AND w.family = o.family AND w.period = o.period AND w.indicator = o.indicator
     AND w.level = o.level AND w.adcode = o.adcode
LEFT JOIN totals t ON t.family = o.family AND t.period = o.period AND t.level = o.level AND t.adcode = o.adcode
ORDER BY o.family, o.concept, o.level, o.scope, o.data_year, o.indicator, o.rank NULLS LAST, o.adcode;

-- rankings: the public view (documented in README) for notebooks, the dashboard and users.
CREATE VIEW rankings AS SELECT * FROM rankings_data;

-- rank_changes_data: per region and concept, the rank in the family's previous period and the change (national
-- scope, exact ranks only: bands and restatements left out). A region not published in the previous period has
-- no previous rank (never "the last rank we saw"); previous_ranked says whether the previous period had this
-- ranking at all, ranked_before whether the region was ranked in any earlier period ("new" only when it was not).
CREATE TABLE rank_changes_data AS
WITH ranked AS (
    SELECT family, concept, level, adcode, period, data_year, indicator, rank, framework
    FROM rankings_data
    WHERE scope = 'national' AND NOT is_restated AND rank IS NOT NULL
),
steps AS (
    SELECT family, period, lag(period) OVER (PARTITION BY family ORDER BY data_year) AS previous_period,
           lag(framework) OVER (PARTITION BY family ORDER BY data_year) AS previous_framework
    FROM (SELECT DISTINCT family, period, data_year, framework FROM rankings_data WHERE NOT is_restated)
),
rankings_held AS (SELECT DISTINCT family, concept, level, period FROM ranked),
first_ranked AS (SELECT family, concept, level, adcode, min(data_year) AS first_year FROM ranked GROUP BY ALL)
SELECT r.*, s.previous_period, p.rank AS previous_rank, p.rank - r.rank AS rank_change,
       s.previous_framework, r.framework <> s.previous_framework AS framework_changed,
       h.period IS NOT NULL AS previous_ranked, f.first_year < r.data_year AS ranked_before
FROM ranked r
JOIN steps s USING (family, period)
JOIN first_ranked f USING (family, concept, level, adcode)
LEFT JOIN ranked p ON p.family = r.family AND p.concept = r.concept AND p.level = r.level
     AND p.adcode = r.adcode AND p.period = s.previous_period
LEFT JOIN rankings_held h ON h.family = r.family AND h.concept = r.concept AND h.level = r.level
     AND h.period = s.previous_period
ORDER BY r.family, r.concept, r.level, r.data_year, r.adcode;

-- rank_history_data: per region and concept, its national rank in every period that has this ranking, NULL
-- where the region was not published (the rankings' sparklines show that hole instead of joining across it).
CREATE TABLE rank_history_data AS
WITH held AS (SELECT DISTINCT family, concept, level, period, data_year FROM rank_changes_data),
members AS (SELECT DISTINCT family, concept, level, adcode FROM rank_changes_data)
SELECT m.family, m.concept, m.level, m.adcode, list(c.rank ORDER BY h.data_year) AS history,
       list(h.period ORDER BY h.data_year) AS history_periods
FROM members m
JOIN held h USING (family, concept, level)
LEFT JOIN rank_changes_data c ON c.family = m.family AND c.concept = m.concept AND c.level = m.level
     AND c.adcode = m.adcode AND c.period = h.period
GROUP BY ALL ORDER BY m.family, m.concept, m.level, m.adcode;

CREATE VIEW rank_changes AS
SELECT c.*, g.name_zh AS region_zh, g.name_en AS region_en
FROM rank_changes_data c JOIN region g ON g.adcode = c.adcode AND g.level = c.level;

-- release_summary: what the sidebar needs per family (periods, levels, indicators with counts), tiny. coverage
-- is how many regions of the level the release ranks, where its sidecar says so (the size rank colours span).
CREATE TABLE release_summary AS
SELECT k.family, k.period, k.data_year, k.edition, k.release_id, k.framework, k.level, k.scope, k.indicator,
       count(k.adcode) AS n_regions, count(k.rank) AS n_ranked, count(k.rank_at_most) AS n_banded,
       max(k.rank) AS worst_rank, max(k.rank_at_most) AS worst_band,
       any_value(json_extract_string(r.coverage, '$.' || k.level))::INTEGER AS coverage
FROM rankings_data k JOIN release r USING (release_id) WHERE NOT k.is_restated
GROUP BY k.family, k.period, k.data_year, k.edition, k.release_id, k.framework, k.level, k.scope, k.indicator
ORDER BY ALL;

-- region_coverage: the regions a family has any observation for, per level (pickers).
CREATE TABLE region_coverage AS
SELECT DISTINCT family, level, adcode FROM rankings_data ORDER BY ALL;

-- family_summary: what kinds of figures a family holds (the pages' "how to read this" explains only those).
CREATE TABLE family_summary AS
SELECT family, count(*) FILTER (WHERE rank_at_most IS NOT NULL) AS n_banded,
       count(*) FILTER (WHERE basis = 'derived') AS n_derived, count(*) FILTER (WHERE is_restated) AS n_restated,
       count(*) FILTER (WHERE rank_source = 'computed') AS n_computed,
       count(*) FILTER (WHERE rank_source = 'published') AS n_published_ranks,
       count(*) FILTER (WHERE value IS NOT NULL) AS n_valued, count(DISTINCT framework) AS n_frameworks,
       count(DISTINCT period) AS n_periods
FROM rankings_data GROUP BY family ORDER BY family;
