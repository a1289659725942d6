"""Print the worked PDF example: the 2018 edition's published lists (data/raw/tencent_internet_plus/2018) as a
report would print them — title line, prose, one unruled table per list with its title and footnote, folios —
with headless Chromium and Noto CJK (both installed by `make test`).

    .venv/bin/python data/examples/make_report_pdf.py [OUT.pdf]      (default: data/examples/report_2018.pdf)
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.pdf_fixtures import REPORT_2018, print_pdf, report_html, top10_tables  # noqa: E402

if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data" / "examples" / "report_2018.pdf"
    print_pdf(report_html(top10_tables(), ruled=False, heading=REPORT_2018), out.resolve())
    print(f"wrote {out}")
