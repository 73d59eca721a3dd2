from allauth.account.adapter import DefaultAccountAdapter

from .services import profile_ensure


class AccountAdapter(DefaultAccountAdapter):
    """Every new account gets its profile (display name, time zone) at once."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            profile_ensure(user=user)
        return user
