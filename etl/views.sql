-- Derived tables, built once at publish time so the dashboard's queries stay fast, and the public views.

-- rankings_data: one row per observation with names, region groups and provenance, ordered for the
-- dashboard's filters. Published ranks win; where a ranking group (release × data year × indicator × level ×
-- scope) has values but no published rank at all, ranks are computed from the values: standard competition
-- ranking (ties share the best rank: 1, 2, 2, 4), descending when higher is better. Only-rank rows keep value
-- NULL (never 0). period: the edition for one-year releases (Tencent), the data year for multi-year panels
-- (PKU-DFIIC). is_restated: a value an edition restated for an earlier year.
CREATE TABLE rankings_data AS
WITH grp AS (
    SELECT o.*, i.higher_is_better,
           count(o.rank) OVER (PARTITION BY o.release_id, o.data_year, o.indicator, o.level, o.scope) AS n_published
    FROM observation o JOIN release r USING (release_id)
    JOIN indicator i ON i.family = r.family AND i.code = o.indicator
),
ranked AS (
    SELECT *,
           CASE WHEN rank IS NOT NULL THEN rank
                WHEN n_published = 0 AND value IS NOT NULL THEN
                     CAST(rank() OVER (PARTITION BY release_id, data_year, indicator, level, scope, value IS NULL,
                                                    n_published
                                       ORDER BY CASE WHEN higher_is_better THEN -value ELSE value END) AS INTEGER)
           END AS final_rank,
           CASE WHEN rank IS NOT NULL THEN 'published'
                WHEN n_published = 0 AND value IS NOT NULL THEN 'computed' END AS rank_source
    FROM grp
)
SELECT r.family, r.edition, o.data_year,
       CASE WHEN r.data_year IS NULL THEN CAST(o.data_year AS VARCHAR) ELSE r.edition END AS period,
       o.release_id, r.framework,
       o.adcode, g.name_zh AS region_zh, g.short_zh AS region_short_zh, g.name_en AS region_en, o.level,
       g.province_adcode, g.province_zh, g.province_en, g.economic_region, g.is_west,
       o.indicator, i.name_zh AS indicator_zh, i.name_en AS indicator_en, i.kind AS indicator_kind,
       i.parent AS indicator_parent, ri.concept, c.name_zh AS concept_zh, c.name_en AS concept_en,
       o.value, o.final_rank AS rank, o.rank_source, o.scope, o.basis, o.basis_note, o.source_url,
       o.source_file || ':' || o.source_row AS source_ref,
       o.raw_name, (r.data_year IS NOT NULL AND o.data_year <> r.data_year) AS is_restated
FROM ranked o
JOIN release r USING (release_id)
JOIN region g ON g.adcode = o.adcode AND g.level = o.level
JOIN indicator i ON i.family = r.family AND i.code = o.indicator
JOIN release_indicator ri ON ri.release_id = o.release_id AND ri.indicator = o.indicator
LEFT JOIN concept c ON c.family = r.family AND c.concept = ri.concept
ORDER BY r.family, period, o.indicator, o.level, o.scope, final_rank NULLS LAST, o.adcode;

-- The public view (documented in README): notebooks, the dashboard and users read this.
CREATE VIEW rankings AS SELECT * FROM rankings_data;

-- rank_changes: per region and concept, the rank in the family's previous period and the change (national
-- scope, restatements left out). A region not published in the previous period has no previous rank (never
-- "the last rank we saw").
CREATE TABLE rank_changes_data AS
WITH ranked AS (
    SELECT family, concept, level, adcode, region_zh, region_en, period, data_year, indicator, rank, framework
    FROM rankings_data
    WHERE scope = 'national' AND NOT is_restated AND rank IS NOT NULL
),
steps AS (
    SELECT family, period, lag(period) OVER (PARTITION BY family ORDER BY data_year) AS previous_period,
           lag(framework) OVER (PARTITION BY family ORDER BY data_year) AS previous_framework
    FROM (SELECT DISTINCT family, period, data_year, framework FROM rankings_data WHERE NOT is_restated)
)
SELECT r.*, s.previous_period, p.rank AS previous_rank, p.rank - r.rank AS rank_change,
       s.previous_framework, r.framework <> s.previous_framework AS framework_changed
FROM ranked r
JOIN steps s USING (family, period)
LEFT JOIN ranked p ON p.family = r.family AND p.concept = r.concept AND p.level = r.level
     AND p.adcode = r.adcode AND p.period = s.previous_period
ORDER BY r.family, r.concept, r.level, r.period, r.adcode;

CREATE VIEW rank_changes AS SELECT * FROM rank_changes_data;
