from django import forms

from ..models import Post
from .services import FOLLOW_CHOICES


class PostForm(forms.Form):
    body = forms.CharField(
        label="Your post",
        help_text="Markdown works: **bold**, _italics_, [links](https://…), lists, `code`.",
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": Post.BODY_MAX}),
        error_messages={"required": "Write something first."},
        strip=True,
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        # Its own ids: the session page holds other forms with a text field.
        kwargs.setdefault("auto_id", "discussion_%s")
        super().__init__(*args, **kwargs)

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if len(body) > Post.BODY_MAX:
            raise forms.ValidationError(
                f"A post is at most {Post.BODY_MAX:,} characters (yours has {len(body):,})."
            )
        return body


class FollowForm(forms.Form):
    choice = forms.ChoiceField(
        label="Email me",
        choices=[
            ("immediate", "Follow: an email for each new post"),
            ("daily", "Follow: a daily digest"),
            ("none", "Not following"),
            ("mute", "Mute (posting here does not follow it)"),
        ],
    )

    def clean_choice(self) -> str:
        choice = self.cleaned_data["choice"]
        assert choice in FOLLOW_CHOICES
        return choice
