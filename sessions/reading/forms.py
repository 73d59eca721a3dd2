"""Forms for pre-reading: a question for the facilitator, private notes on a paper."""

from django import forms

from papers.models import PaperNote

from ..models import Question


class QuestionForm(forms.Form):
    text = forms.CharField(
        label="Your question for the facilitator",
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": Question.MAX_LENGTH}),
        error_messages={"required": "Write your question first."},
    )
    anonymous = forms.BooleanField(
        required=False,
        label="Ask anonymously",
        help_text="Other members will not see your name. Organizers still can, to handle abuse.",
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        if len(text) > Question.MAX_LENGTH:
            raise forms.ValidationError(
                f"A question is at most {Question.MAX_LENGTH:,} characters "
                f"(yours has {len(text):,})."
            )
        return text


class NotesForm(forms.Form):
    text = forms.CharField(
        label="Your private notes",
        required=False,
        max_length=PaperNote.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Only you ever see these. Markdown is allowed.",
    )
