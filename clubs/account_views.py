"""allauth's account pages, where Paper Club answers differently."""

from allauth.account.views import LoginView as AllauthLoginView
from django.http import HttpResponse


class LoginView(AllauthLoginView):
    """allauth's sign-in; refused for too many failed sign-ins, it answers 429
    (Too Many Requests) with the form, its message and the password-reset link."""

    def form_invalid(self, form) -> HttpResponse:
        response = super().form_invalid(form)
        errors = form.non_field_errors().as_data()
        if any(error.code == "too_many_login_attempts" for error in errors):
            response.status_code = 429
            response["Retry-After"] = "300"
        return response


login = LoginView.as_view()
