"""Forms for pre-reading: a question for the facilitator, private notes on a paper."""

from django import forms

from papers.models import PaperNote

from ..models import Question


class QuestionForm(forms.Form):
    text = forms.CharField(
        label="Your question for the facilitator",
        max_length=Question.MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    anonymous = forms.BooleanField(
        required=False,
        label="Ask anonymously",
        help_text="Other members will not see your name. Organizers still can, to handle abuse.",
    )


class NotesForm(forms.Form):
    text = forms.CharField(
        label="Your private notes",
        required=False,
        max_length=PaperNote.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Only you ever see these. Markdown is allowed.",
    )
