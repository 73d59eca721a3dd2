from django import forms

from ..models import Watch
from .queries import VALUE_MAX


class WatchForm(forms.Form):
    """One watch; papers.watch.queries checks what was typed and says why not."""

    kind = forms.ChoiceField(
        label="Watch",
        choices=Watch.Kind.choices,
        initial=Watch.Kind.CATEGORY,
        widget=forms.RadioSelect,
    )
    value = forms.CharField(
        label="Category, author or keyword",
        max_length=VALUE_MAX,
        help_text="A category as arXiv writes it (like cs.CL, math.AG, stat.ML or hep-th), "
        "an author's name, or a word or short phrase.",
    )
    within = forms.CharField(
        label="Only in category",
        max_length=40,
        required=False,
        help_text="Narrows an author or keyword to one category, e.g. cs.CL.",
    )
