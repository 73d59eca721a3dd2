"""Serve a local stand-in for arXiv, to try the app without reaching arxiv.org.

    .venv/bin/python scripts/fake_arxiv.py [--port 8001]

then start the app with ARXIV_API_URL=http://127.0.0.1:8001/api/query and
ARXIV_PDF_URL=http://127.0.0.1:8001/pdf. It answers for the papers in the
project's own test fixtures (2106.09685 LoRA among them) and serves a small
generated PDF for each; any other id is "not found".
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.papers.fake_arxiv import FakeArxiv  # noqa: E402
from tests.papers.pdf_factory import make_pdf  # noqa: E402

FIXTURES = ROOT / "tests" / "papers" / "fixtures"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    fake = FakeArxiv()
    for feed in sorted(FIXTURES.glob("*.xml")):
        if "error" not in feed.name:
            fake.add_feed_entries(feed.read_bytes())
    for base_id in fake.catalogue:
        pages = [f"arXiv:{base_id}", "Abstract", "1 Introduction", "Figure 1: The model."]
        fake.add_pdf(base_id, make_pdf(pages, title=f"Paper {base_id}"))
    fake.start(port=args.port)
    print(f"Fake arXiv on {fake.base_url} with {len(fake.catalogue)} papers:")
    print("  " + " ".join(sorted(fake.catalogue)))
    print(f"  ARXIV_API_URL={fake.api_url} ARXIV_PDF_URL={fake.pdf_url}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
