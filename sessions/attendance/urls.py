from django.urls import path

from . import views

app_name = "attendance"

_ONE = "c/<slug:slug>/sessions/<int:session_id>/"

urlpatterns = [
    path(_ONE + "attendance/", views.take, name="take"),
    path(_ONE + "check-in/", views.check_in, name="check_in"),
]
