"""Middleware for measuring the app; enabled only by PAPERCLUB_BENCH=1 (see settings)."""

from django.db import connection


class QueryCountHeaderMiddleware:
    """Say in an X-Query-Count header how many SQL statements the request ran.

    First in MIDDLEWARE, so the count includes the session, the user and every
    other middleware's queries. The benchmark (bench/run) reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Query-Count"] = str(count)
        return response
