-- The public views over the integer-keyed facts (etl/facts.py), and small summary tables, built at publish time.

-- The dimension tables as before the facts had keys (the keys are the storage's business, not readers').
CREATE VIEW region AS SELECT * EXCLUDE (region_key) FROM region_data;
CREATE VIEW release AS SELECT * EXCLUDE (release_key) FROM release_data;
CREATE VIEW indicator AS SELECT * EXCLUDE (indicator_key) FROM indicator_data;
CREATE VIEW concept AS SELECT * EXCLUDE (concept_key) FROM concept_data;

-- observation: one row per published figure (README, "The warehouse").
CREATE VIEW observation AS
SELECT r.release_id, p.period, f.data_year::INTEGER AS data_year, g.adcode, g.level, i.code AS indicator, s.scope,
       f.value, f.rank, f.rank_at_most,
       CASE WHEN f.rank IS NULL THEN NULL WHEN f.rank_computed THEN 'computed' ELSE 'published' END AS rank_source,
       f.is_restated, o.basis, o.basis_note, o.source_url, o.source_file, o.source_row, o.raw_name
FROM observation_data f
JOIN release_data r USING (release_key) JOIN period p USING (period_key) JOIN region_data g USING (region_key)
JOIN indicator_data i USING (indicator_key) JOIN scope s USING (scope_key) JOIN observation_source o USING (row_key);

-- rankings: the public view (documented in README) for notebooks, the dashboard and users.
CREATE VIEW rankings AS
SELECT r.family, r.edition, f.data_year::INTEGER AS data_year, p.period, r.release_id, r.framework,
       g.adcode, g.name_zh AS region_zh, g.short_zh AS region_short_zh, g.name_en AS region_en, g.level,
       g.province_adcode, g.province_zh, g.province_en, g.economic_region, g.is_west,
       i.code AS indicator, i.name_zh AS indicator_zh, i.name_en AS indicator_en, i.kind AS indicator_kind,
       i.parent AS indicator_parent, i.sort AS indicator_sort, c.concept, c.name_zh AS concept_zh,
       c.name_en AS concept_en, f.value, f.rank, f.rank_at_most,
       CASE WHEN f.rank IS NULL THEN NULL WHEN f.rank_computed THEN 'computed' ELSE 'published' END AS rank_source,
       s.scope, o.basis, o.basis_note, o.source_url, o.source_ref, o.raw_name, f.is_restated,
       f.province_rank::BIGINT AS province_rank, f.province_ranked::BIGINT AS province_ranked,
       f.west_rank::BIGINT AS west_rank, f.west_ranked::BIGINT AS west_ranked, f.ranked::BIGINT AS ranked,
       f.total_rank
FROM observation_data f
JOIN release_data r USING (release_key) JOIN period p USING (period_key) JOIN region_data g USING (region_key)
JOIN indicator_data i USING (indicator_key) JOIN concept_data c USING (concept_key) JOIN scope s USING (scope_key)
JOIN observation_source o USING (row_key);

-- rank_changes: per region and concept, the rank in the family's previous period and the change (national
-- scope, exact ranks only: bands and restatements left out). A region not published in the previous period has
-- no previous rank (never "the last rank we saw"); previous_ranked says whether the previous period had this
-- ranking at all, ranked_before whether the region was ranked in any earlier period ("new" only when it was not).
CREATE VIEW rank_changes AS
SELECT r.family, c.concept, g.level, g.adcode, p.period, f.data_year::INTEGER AS data_year, i.code AS indicator,
       f.rank, r.framework, p.previous_period, f.previous_rank, f.previous_rank - f.rank AS rank_change,
       p.previous_framework, r.framework <> p.previous_framework AS framework_changed, f.previous_ranked,
       f.ranked_before, g.name_zh AS region_zh, g.name_en AS region_en
FROM observation_data f
JOIN release_data r USING (release_key) JOIN period p USING (period_key) JOIN region_data g USING (region_key)
JOIN indicator_data i USING (indicator_key) JOIN concept_data c USING (concept_key) JOIN scope s USING (scope_key)
WHERE s.scope = 'national' AND NOT f.is_restated AND f.rank IS NOT NULL;

-- release_summary: what the sidebar needs per family (periods, levels, indicators with counts), tiny. coverage
-- is how many regions of the level the release ranks, where its sidecar says so (the size rank colours span).
CREATE TABLE release_summary AS
WITH counts AS (
    SELECT f.period_key, f.release_key, f.data_year, g.level, f.scope_key, f.indicator_key, count(*) AS n_regions,
           count(f.rank) AS n_ranked, count(f.rank_at_most) AS n_banded, max(f.rank) AS worst_rank,
           max(f.rank_at_most) AS worst_band
    FROM observation_data f JOIN (SELECT region_key, level FROM region_data) g USING (region_key)
    WHERE NOT f.is_restated GROUP BY ALL)
SELECT p.family, p.period, k.data_year::INTEGER AS data_year, r.edition, r.release_id, r.framework, k.level, s.scope,
       i.code AS indicator, k.n_regions, k.n_ranked, k.n_banded, k.worst_rank, k.worst_band,
       json_extract_string(r.coverage, '$.' || k.level)::INTEGER AS coverage
FROM counts k JOIN period p USING (period_key) JOIN release_data r USING (release_key) JOIN scope s USING (scope_key)
JOIN indicator_data i USING (indicator_key)
ORDER BY ALL;

-- region_coverage: the regions a family has any observation for, per level (pickers).
CREATE TABLE region_coverage AS
SELECT DISTINCT p.family, g.level, g.adcode
FROM (SELECT DISTINCT period_key, region_key FROM observation_data) h
JOIN period p USING (period_key) JOIN region_data g USING (region_key)
ORDER BY ALL;

-- family_summary: what kinds of figures a family holds (the pages' "how to read this" explains only those).
CREATE TABLE family_summary AS
WITH per_period AS (
    SELECT period_key, release_key, count(*) FILTER (WHERE rank_at_most IS NOT NULL) AS n_banded,
           count(*) FILTER (WHERE is_restated) AS n_restated,
           count(*) FILTER (WHERE rank_computed AND rank IS NOT NULL) AS n_computed,
           count(*) FILTER (WHERE NOT rank_computed AND rank IS NOT NULL) AS n_published_ranks,
           count(*) FILTER (WHERE value IS NOT NULL) AS n_valued
    FROM observation_data GROUP BY ALL),
derived AS (
    SELECT o.release_key, count(*) AS n_derived
    FROM observation_data f JOIN observation_source o USING (row_key) WHERE o.basis = 'derived' GROUP BY ALL)
SELECT p.family, sum(k.n_banded)::BIGINT AS n_banded,
       coalesce((SELECT sum(d.n_derived) FROM derived d JOIN release_data x USING (release_key) WHERE x.family = p.family),
                0)::BIGINT AS n_derived,
       sum(k.n_restated)::BIGINT AS n_restated, sum(k.n_computed)::BIGINT AS n_computed,
       sum(k.n_published_ranks)::BIGINT AS n_published_ranks, sum(k.n_valued)::BIGINT AS n_valued,
       count(DISTINCT r.framework) AS n_frameworks, count(DISTINCT p.period) AS n_periods
FROM per_period k JOIN period p USING (period_key) JOIN release_data r USING (release_key)
GROUP BY p.family ORDER BY p.family;
