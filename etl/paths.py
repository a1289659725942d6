"""Where the project keeps its inputs and built outputs (overridable by environment variables)."""

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("INDEX_PROJECT_ROOT", Path(__file__).resolve().parent.parent))
RAW_DIR = Path(os.environ.get("INDEX_RAW_DIR", PROJECT_ROOT / "data" / "raw"))
REFERENCE_DIR = Path(os.environ.get("INDEX_REFERENCE_DIR", PROJECT_ROOT / "data" / "reference"))
GEO_DIR = Path(os.environ.get("INDEX_GEO_DIR", PROJECT_ROOT / "data" / "geo"))
WAREHOUSE_PATH = Path(os.environ.get("INDEX_WAREHOUSE", PROJECT_ROOT / "data" / "warehouse" / "index.duckdb"))
SIDECAR_SUFFIX = ".meta.yml"
EXAMPLE_SIDECAR = PROJECT_ROOT / "data" / "examples" / "new_report_2019_edition.meta.yml"
