-- Warehouse schema. Built only by the ETL (etl/publish.py); the dashboard opens it read-only.
-- region, release, indicator and concept are views of these without their integer keys (etl/views.sql).
CREATE TABLE region_data (
    adcode VARCHAR NOT NULL, level VARCHAR NOT NULL, name_zh VARCHAR NOT NULL, short_zh VARCHAR NOT NULL,
    name_en VARCHAR NOT NULL, province_adcode VARCHAR NOT NULL, province_zh VARCHAR, province_short_zh VARCHAR,
    province_en VARCHAR, city_adcode VARCHAR, economic_region VARCHAR, is_west BOOLEAN NOT NULL, valid_from INTEGER,
    valid_to INTEGER, successor_adcode VARCHAR, has_boundary BOOLEAN NOT NULL, note VARCHAR,
    region_key INTEGER NOT NULL, PRIMARY KEY (adcode, level)
);
CREATE TABLE region_alias (alias VARCHAR NOT NULL, adcode VARCHAR NOT NULL, level VARCHAR NOT NULL,
                           kind VARCHAR NOT NULL, note VARCHAR);
-- comparable_values: whether index points compare across periods (Tencent rebases every edition: ranks only);
-- caveats: [{zh, en}] shown on every page of the family.
CREATE TABLE family (code VARCHAR PRIMARY KEY, name_zh VARCHAR, name_en VARCHAR, short_zh VARCHAR, short_en VARCHAR,
                     publisher VARCHAR,
                     publisher_en VARCHAR, comparable_values BOOLEAN NOT NULL, caveats JSON, methodology_zh VARCHAR,
                     methodology_en VARCHAR);
CREATE TABLE release_data (
    release_id VARCHAR PRIMARY KEY, family VARCHAR NOT NULL, edition VARCHAR NOT NULL, data_year INTEGER,
    data_year_from INTEGER NOT NULL, data_year_to INTEGER NOT NULL, title VARCHAR NOT NULL, title_en VARCHAR,
    publisher VARCHAR NOT NULL, publisher_en VARCHAR, published DATE NOT NULL, source_urls VARCHAR[] NOT NULL,
    citation VARCHAR NOT NULL,
    terms VARCHAR NOT NULL, framework VARCHAR NOT NULL, notes VARCHAR, format VARCHAR NOT NULL,
    raw_file VARCHAR NOT NULL, raw_sha256 VARCHAR NOT NULL, sidecar_file VARCHAR NOT NULL,
    sidecar_sha256 VARCHAR NOT NULL, derived_from JSON, coverage JSON, observation_count INTEGER NOT NULL,
    loaded_at TIMESTAMP NOT NULL, release_key SMALLINT NOT NULL
);
-- The time steps of each family: an edition (one-year release) or a data year (panel). step numbers the periods
-- that hold figures for their own year; previous_* name the family's previous step (rank changes).
CREATE TABLE period (period_key SMALLINT PRIMARY KEY, family VARCHAR NOT NULL, period VARCHAR NOT NULL,
                     data_year INTEGER NOT NULL, edition VARCHAR NOT NULL, release_id VARCHAR NOT NULL,
                     framework VARCHAR NOT NULL, step INTEGER, previous_period VARCHAR, previous_framework VARCHAR);
CREATE TABLE indicator_data (
    family VARCHAR NOT NULL, code VARCHAR NOT NULL, name_zh VARCHAR NOT NULL, name_en VARCHAR NOT NULL,
    kind VARCHAR NOT NULL, parent VARCHAR, concept VARCHAR NOT NULL, unit VARCHAR, higher_is_better BOOLEAN NOT NULL,
    sort INTEGER NOT NULL, indicator_key SMALLINT NOT NULL, PRIMARY KEY (family, code)
);
-- Every concept the catalogues name or a release uses (a sidecar may give its own; then unnamed).
CREATE TABLE concept_data (family VARCHAR NOT NULL, concept VARCHAR NOT NULL, name_zh VARCHAR, name_en VARCHAR,
                      concept_key SMALLINT NOT NULL, PRIMARY KEY (family, concept));
CREATE TABLE release_indicator (release_id VARCHAR NOT NULL, indicator VARCHAR NOT NULL, concept VARCHAR NOT NULL,
                                source_labels VARCHAR, PRIMARY KEY (release_id, indicator));
-- Where each observation was read: one row per row of a raw file (file, row, the name as written, source, basis).
CREATE TABLE observation_source (row_key INTEGER NOT NULL, release_key SMALLINT NOT NULL, source_file VARCHAR NOT NULL,
                                 source_row INTEGER NOT NULL, source_ref VARCHAR NOT NULL, raw_name VARCHAR,
                                 source_url VARCHAR NOT NULL, basis VARCHAR NOT NULL, basis_note VARCHAR);
-- One row per published figure, by integer keys into the tables above (etl/facts.py), stored in ranking order:
-- period, level, data year, indicator, scope, rank, region. rank is the published rank, or computed from the
-- values where a ranking group has values but no published rank (rank_computed); rank_at_most is a band ("in the
-- top N", exact rank unknown): it never becomes a rank. is_restated marks values an edition restated for an
-- earlier year. For national, non-restated ranks: the rank and ranking size within the province and (western
-- regions) the west, the ranking's size, the region's rank in the previous step of its family (previous_rank),
-- whether that step had the ranking (previous_ranked), whether the region was ranked before (ranked_before);
-- total_rank is the region's total-index rank in the period (every row). The views below read it by name.
CREATE TABLE observation_data (
    period_key SMALLINT NOT NULL, release_key SMALLINT NOT NULL, region_key INTEGER NOT NULL,
    data_year SMALLINT NOT NULL, indicator_key SMALLINT NOT NULL, concept_key SMALLINT NOT NULL,
    scope_key TINYINT NOT NULL, row_key INTEGER NOT NULL, is_restated BOOLEAN NOT NULL, value DOUBLE, rank INTEGER,
    rank_at_most INTEGER, rank_computed BOOLEAN NOT NULL, province_rank INTEGER, province_ranked INTEGER,
    west_rank INTEGER, west_ranked INTEGER, ranked INTEGER, total_rank INTEGER, previous_rank INTEGER,
    previous_ranked BOOLEAN, ranked_before BOOLEAN
);
CREATE TABLE scope (scope_key TINYINT PRIMARY KEY, scope VARCHAR NOT NULL);
-- Per region and concept, its national rank in every period that has this ranking at its level, NULL where the
-- region was not published (the rankings' sparklines show that hole instead of joining across it).
CREATE TABLE rank_history_data (concept_key SMALLINT NOT NULL, region_key INTEGER NOT NULL, history INTEGER[]);
CREATE TABLE rank_history_periods (concept_key SMALLINT NOT NULL, level VARCHAR NOT NULL,
                                   history_periods VARCHAR[] NOT NULL);
CREATE TABLE etl_run (
    run_id VARCHAR PRIMARY KEY, command VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP, status VARCHAR NOT NULL, inputs JSON, row_counts JSON, warnings JSON, message VARCHAR
);
CREATE TABLE warehouse_info (key VARCHAR PRIMARY KEY, value VARCHAR);
