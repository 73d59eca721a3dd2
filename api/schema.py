"""What drf-spectacular needs beyond the views: how a token authenticates, and
the error answers every operation may give (documented, so a client and
Schemathesis know them)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERRORS = {
    "400": "Malformed JSON, an unknown or invalid field (named), or a rule the club's "
    "services refused.",
    "401": "No token where one is needed, or a token that is revoked or unknown.",
    "403": "The caller may not do this (a read-only token writing, not a member...).",
    "404": "No such thing, or a private club the caller is not in.",
    "429": "Too many requests with this token: wait Retry-After seconds.",
}


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.PersonalTokenAuthentication"
    name = "PersonalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal token from your profile's API tokens page.",
        }


# OpenAPI links: what a client (and Schemathesis's stateful runs) may call next
# with what an answer said. operationId -> {response code: {link name: link}}.
LINKS = {
    "backlog_propose": {
        code: {
            "GetProposed": {
                "operationId": "nomination_retrieve",
                "parameters": {"slug": "$request.path.slug", "nomination_id": "$response.body#/id"},
            },
            "VoteOnProposed": {
                "operationId": "vote_set",
                "parameters": {"slug": "$request.path.slug", "nomination_id": "$response.body#/id"},
            },
        }
        for code in ("200", "201")
    },
    "backlog_list": {
        "200": {
            "GetFirst": {
                "operationId": "nomination_retrieve",
                "parameters": {
                    "slug": "$request.path.slug",
                    "nomination_id": "$response.body#/results/0/id",
                },
            }
        }
    },
    "sessions_list": {
        "200": {
            "RsvpToFirst": {
                "operationId": "rsvp_set",
                "parameters": {
                    "slug": "$request.path.slug",
                    "session_id": "$response.body#/results/0/id",
                },
            },
            "AskInFirst": {
                "operationId": "question_ask",
                "parameters": {
                    "slug": "$request.path.slug",
                    "session_id": "$response.body#/results/0/id",
                },
            },
        }
    },
    "question_ask": {
        "201": {
            "ListQuestions": {
                "operationId": "questions_list",
                "parameters": {
                    "slug": "$request.path.slug",
                    "session_id": "$request.path.session_id",
                },
            }
        }
    },
}


def document_errors(result, generator, request, public):
    """Add the error answers to every operation (a postprocessing hook)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = {
        "type": "object",
        "description": "`detail` says what went wrong; a refused field is named as a key "
        "with its messages.",
        "additionalProperties": {
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
        },
    }
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, links in LINKS.get(operation.get("operationId"), {}).items():
                if code in responses:
                    responses[code]["links"] = links
            for code, description in ERRORS.items():
                responses.setdefault(code, {"description": description, "content": error})
    return result
