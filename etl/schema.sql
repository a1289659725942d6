-- Warehouse schema. Built only by the ETL (etl/publish.py); the dashboard opens it read-only.
CREATE TABLE region (
    adcode VARCHAR NOT NULL, level VARCHAR NOT NULL, name_zh VARCHAR NOT NULL, short_zh VARCHAR NOT NULL,
    name_en VARCHAR NOT NULL, province_adcode VARCHAR NOT NULL, province_zh VARCHAR, province_short_zh VARCHAR,
    province_en VARCHAR, city_adcode VARCHAR, economic_region VARCHAR, is_west BOOLEAN NOT NULL, valid_from INTEGER,
    valid_to INTEGER, successor_adcode VARCHAR, has_boundary BOOLEAN NOT NULL, note VARCHAR,
    PRIMARY KEY (adcode, level)
);
CREATE TABLE region_alias (alias VARCHAR NOT NULL, adcode VARCHAR NOT NULL, level VARCHAR NOT NULL,
                           kind VARCHAR NOT NULL, note VARCHAR);
-- comparable_values: whether index points compare across periods (Tencent rebases every edition: ranks only);
-- caveats: [{zh, en}] shown on every page of the family.
CREATE TABLE family (code VARCHAR PRIMARY KEY, name_zh VARCHAR, name_en VARCHAR, short_zh VARCHAR, short_en VARCHAR,
                     publisher VARCHAR,
                     publisher_en VARCHAR, comparable_values BOOLEAN NOT NULL, caveats JSON, methodology_zh VARCHAR,
                     methodology_en VARCHAR);
CREATE TABLE release (
    release_id VARCHAR PRIMARY KEY, family VARCHAR NOT NULL, edition VARCHAR NOT NULL, data_year INTEGER,
    data_year_from INTEGER NOT NULL, data_year_to INTEGER NOT NULL, title VARCHAR NOT NULL, title_en VARCHAR,
    publisher VARCHAR NOT NULL, publisher_en VARCHAR, published DATE NOT NULL, source_urls VARCHAR[] NOT NULL,
    citation VARCHAR NOT NULL,
    terms VARCHAR NOT NULL, framework VARCHAR NOT NULL, notes VARCHAR, format VARCHAR NOT NULL,
    raw_file VARCHAR NOT NULL, raw_sha256 VARCHAR NOT NULL, sidecar_file VARCHAR NOT NULL,
    sidecar_sha256 VARCHAR NOT NULL, derived_from JSON, coverage JSON, observation_count INTEGER NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);
CREATE TABLE indicator (
    family VARCHAR NOT NULL, code VARCHAR NOT NULL, name_zh VARCHAR NOT NULL, name_en VARCHAR NOT NULL,
    kind VARCHAR NOT NULL, parent VARCHAR, concept VARCHAR NOT NULL, unit VARCHAR, higher_is_better BOOLEAN NOT NULL,
    sort INTEGER NOT NULL, PRIMARY KEY (family, code)
);
CREATE TABLE concept (family VARCHAR NOT NULL, concept VARCHAR NOT NULL, name_zh VARCHAR, name_en VARCHAR,
                      PRIMARY KEY (family, concept));
CREATE TABLE release_indicator (release_id VARCHAR NOT NULL, indicator VARCHAR NOT NULL, concept VARCHAR NOT NULL,
                                source_labels VARCHAR, PRIMARY KEY (release_id, indicator));
-- One row per published figure. rank is the published rank, or computed from the values where a ranking group
-- has values but no published rank (rank_source says which); period is the edition of a one-year release or
-- the data year of a panel; is_restated marks values an edition restated for an earlier year. rank_at_most is a
-- band ("in the top N", exact rank unknown): it never becomes a rank, computed or otherwise.
CREATE TABLE observation (
    release_id VARCHAR NOT NULL, period VARCHAR NOT NULL, data_year INTEGER NOT NULL, adcode VARCHAR NOT NULL,
    level VARCHAR NOT NULL, indicator VARCHAR NOT NULL, scope VARCHAR NOT NULL, value DOUBLE, rank INTEGER,
    rank_at_most INTEGER, rank_source VARCHAR, is_restated BOOLEAN NOT NULL, basis VARCHAR NOT NULL, basis_note VARCHAR,
    source_url VARCHAR NOT NULL, source_file VARCHAR NOT NULL, source_row INTEGER NOT NULL, raw_name VARCHAR
);
CREATE TABLE etl_run (
    run_id VARCHAR PRIMARY KEY, command VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP, status VARCHAR NOT NULL, inputs JSON, row_counts JSON, warnings JSON, message VARCHAR
);
CREATE TABLE warehouse_info (key VARCHAR PRIMARY KEY, value VARCHAR);
