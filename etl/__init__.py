"""ETL: raw index reports → parse → harmonize → validate → publish into DuckDB."""
