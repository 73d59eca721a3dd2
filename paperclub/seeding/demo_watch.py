"""The demo club's arXiv watch: one category the organizers watch, with what a
run found (papers.watch), so the Suggested page has something to show."""

from datetime import timedelta

from django.utils import timezone

from clubs.models import Club
from papers.arxiv_client import ArxivPaper, SearchResult
from papers.models import Watch
from papers.watch.runs import watch_results_store

# Invented papers in arXiv's shape (the ids are in the future of the demo's reading list).
_FOUND = (
    (
        "2611.30412",
        "Sparse Low-Rank Adapters for Multilingual Instruction Tuning",
        ["Mirela Costa", "Tomasz Wiśniewski"],
        "We adapt large language models to forty languages with low-rank adapters whose "
        "updates are sparse, matching full fine-tuning at a fraction of the trainable "
        "parameters.",
    ),
    (
        "2611.29871",
        "A Benchmark of Discourse Coherence in Long-Form Summaries",
        ["Aiko Tanaka"],
        "Human judgements of discourse coherence for long-form summaries of scientific "
        "articles; automatic metrics disagree with annotators on a third of the pairs.",
    ),
    (
        "2611.27003",
        "Scaling Laws for Mixture-of-Experts Transformers",
        ["Oluwaseun Adeyemi", "Sofia Lindqvist"],
        "How the loss of sparse mixture-of-experts transformers scales with the number of "
        "experts, the data and the compute.",
    ),
)


def demo_watch_seed(*, club: Club) -> Watch:
    """The club's watch of cs.CL and its last run (once: a second seed changes nothing)."""
    watch, _ = Watch.objects.get_or_create(club=club, owner=None, kind="category", value="cs.CL")
    if watch.last_success_at is None:
        now = timezone.now()
        papers = [
            ArxivPaper(
                base_id=base_id,
                version=1,
                title=title,
                authors=authors,
                abstract=abstract,
                categories=["cs.CL", "cs.LG"],
                primary_category="cs.CL",
                published=now - timedelta(days=n + 1),
                updated=now - timedelta(days=n + 1),
                abs_url=f"https://arxiv.org/abs/{base_id}v1",
                pdf_url=f"https://arxiv.org/pdf/{base_id}v1",
            )
            for n, (base_id, title, authors, abstract) in enumerate(_FOUND)
        ]
        result = SearchResult(papers=papers, total_results=len(papers))
        watch_results_store(
            watch_id=watch.pk, result=result, since=now - timedelta(days=7), now=now
        )
    return watch
