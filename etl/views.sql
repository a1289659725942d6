-- Ranked observations, materialised at publish time. Published ranks win; where a ranking group
-- (release × data year × indicator × level × scope) has values but no published rank at all, ranks are
-- computed from the values: standard competition ranking (ties share the best rank: 1, 2, 2, 4),
-- descending when higher is better. Only-rank rows keep value NULL (never 0).
CREATE TABLE observation_ranked AS
WITH grp AS (
    SELECT o.*, i.higher_is_better,
           count(o.rank) OVER (PARTITION BY o.release_id, o.data_year, o.indicator, o.level, o.scope) AS n_published
    FROM observation o JOIN release r USING (release_id)
    JOIN indicator i ON i.family = r.family AND i.code = o.indicator
)
SELECT release_id, data_year, adcode, level, indicator, scope, value, basis, basis_note, source_url,
       source_ref, raw_name,
       CASE WHEN rank IS NOT NULL THEN rank
            WHEN n_published = 0 AND value IS NOT NULL THEN
                 CAST(rank() OVER (PARTITION BY release_id, data_year, indicator, level, scope, value IS NULL,
                                                n_published
                                   ORDER BY CASE WHEN higher_is_better THEN -value ELSE value END) AS INTEGER)
       END AS rank,
       CASE WHEN rank IS NOT NULL THEN 'published'
            WHEN n_published = 0 AND value IS NOT NULL THEN 'computed' END AS rank_source
FROM grp;

-- The public view: one row per observation with names, region groups and provenance.
-- period: the edition for one-year releases (Tencent), the data year for multi-year panels (PKU-DFIIC).
-- is_restated: a value an edition restated for an earlier year (kept apart from the edition's own year).
CREATE VIEW rankings AS
SELECT r.family, r.edition, o.data_year,
       CASE WHEN r.data_year IS NULL THEN CAST(o.data_year AS VARCHAR) ELSE r.edition END AS period,
       o.release_id, r.framework,
       o.adcode, g.name_zh AS region_zh, g.short_zh AS region_short_zh, g.name_en AS region_en, o.level,
       g.province_adcode, g.province_zh, g.province_en, g.economic_region, g.is_west,
       o.indicator, i.name_zh AS indicator_zh, i.name_en AS indicator_en, i.kind AS indicator_kind,
       i.parent AS indicator_parent, ri.concept, c.name_zh AS concept_zh, c.name_en AS concept_en,
       o.value, o.rank, o.rank_source, o.scope, o.basis, o.basis_note, o.source_url, o.source_ref,
       o.raw_name, (r.data_year IS NOT NULL AND o.data_year <> r.data_year) AS is_restated
FROM observation_ranked o
JOIN release r USING (release_id)
JOIN region g ON g.adcode = o.adcode AND g.level = o.level
JOIN indicator i ON i.family = r.family AND i.code = o.indicator
JOIN release_indicator ri ON ri.release_id = o.release_id AND ri.indicator = o.indicator
LEFT JOIN concept c ON c.family = r.family AND c.concept = ri.concept;

-- Rank changes by concept against the family's previous period (national scope, restatements left out).
-- A region not published in the previous period has no previous rank (never "the last rank we saw").
CREATE VIEW rank_changes AS
WITH ranked AS (
    SELECT family, concept, level, adcode, region_zh, region_en, period, data_year, indicator, rank, framework
    FROM rankings
    WHERE scope = 'national' AND NOT is_restated AND rank IS NOT NULL
),
steps AS (
    SELECT family, period, lag(period) OVER (PARTITION BY family ORDER BY data_year) AS previous_period,
           lag(framework) OVER (PARTITION BY family ORDER BY data_year) AS previous_framework
    FROM (SELECT DISTINCT family, period, data_year, framework FROM rankings WHERE NOT is_restated)
)
SELECT r.*, s.previous_period, p.rank AS previous_rank, p.rank - r.rank AS rank_change,
       s.previous_framework, r.framework <> s.previous_framework AS framework_changed
FROM ranked r
JOIN steps s USING (family, period)
LEFT JOIN ranked p ON p.family = r.family AND p.concept = r.concept AND p.level = r.level
     AND p.adcode = r.adcode AND p.period = s.previous_period;
