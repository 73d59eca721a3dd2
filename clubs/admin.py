from django.contrib import admin

from .models import Club, Invitation, Membership, Profile


@admin.register(Club)
class ClubAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "visibility", "join_policy", "time_zone"]
    search_fields = ["name", "slug"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["club", "user", "role", "state", "joined_at"]
    list_filter = ["role", "state"]
    list_select_related = ["club", "user"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["club", "email", "created_at", "expires_at", "revoked_at", "use_count"]
    list_select_related = ["club"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "time_zone"]
