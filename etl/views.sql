-- Derived tables and the public views, built once at publish time.

-- rankings: the public view (documented in README) for notebooks, the dashboard and users. The big
-- observation table is joined to small dimension tables only, so filters on family, period and indicator
-- stay cheap at millions of rows.
CREATE VIEW rankings AS
SELECT r.family, r.edition, o.data_year, o.period, o.release_id, r.framework,
       o.adcode, g.name_zh AS region_zh, g.short_zh AS region_short_zh, g.name_en AS region_en, o.level,
       g.province_adcode, g.province_zh, g.province_en, g.economic_region, g.is_west,
       o.indicator, i.name_zh AS indicator_zh, i.name_en AS indicator_en, i.kind AS indicator_kind,
       i.parent AS indicator_parent, ri.concept, c.name_zh AS concept_zh, c.name_en AS concept_en,
       o.value, o.rank, o.rank_source, o.scope, o.basis, o.basis_note, o.source_url,
       o.source_file || ':' || o.source_row AS source_ref, o.raw_name, o.is_restated
FROM observation o
JOIN release r USING (release_id)
JOIN region g ON g.adcode = o.adcode AND g.level = o.level
JOIN indicator i ON i.family = r.family AND i.code = o.indicator
JOIN release_indicator ri ON ri.release_id = o.release_id AND ri.indicator = o.indicator
LEFT JOIN concept c ON c.family = r.family AND c.concept = ri.concept;

-- rank_changes_data: per region and concept, the rank in the family's previous period and the change (national
-- scope, restatements left out). A region not published in the previous period has no previous rank (never
-- "the last rank we saw").
CREATE TABLE rank_changes_data AS
WITH ranked AS (
    SELECT r.family, ri.concept, o.level, o.adcode, o.period, o.data_year, o.indicator, o.rank, r.framework
    FROM observation o JOIN release r USING (release_id)
    JOIN release_indicator ri ON ri.release_id = o.release_id AND ri.indicator = o.indicator
    WHERE o.scope = 'national' AND NOT o.is_restated AND o.rank IS NOT NULL
),
steps AS (
    SELECT family, period, lag(period) OVER (PARTITION BY family ORDER BY data_year) AS previous_period,
           lag(framework) OVER (PARTITION BY family ORDER BY data_year) AS previous_framework
    FROM (SELECT DISTINCT r.family, o.period, o.data_year, r.framework
          FROM observation o JOIN release r USING (release_id) WHERE NOT o.is_restated)
)
SELECT r.*, s.previous_period, p.rank AS previous_rank, p.rank - r.rank AS rank_change,
       s.previous_framework, r.framework <> s.previous_framework AS framework_changed
FROM ranked r
JOIN steps s USING (family, period)
LEFT JOIN ranked p ON p.family = r.family AND p.concept = r.concept AND p.level = r.level
     AND p.adcode = r.adcode AND p.period = s.previous_period;

CREATE VIEW rank_changes AS
SELECT c.*, g.name_zh AS region_zh, g.name_en AS region_en
FROM rank_changes_data c JOIN region g ON g.adcode = c.adcode AND g.level = c.level;
