"""`manage.py serve`: Django's development server (with static files) that also
runs the beat schedule in-process when tasks run eagerly (the embedded mode).

`./scripts/serve` runs this. See paperclub/embedded_beat.py for why and how.
"""

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand

from paperclub import embedded_beat


class Command(RunserverCommand):
    help = (
        "Start the development server; in the embedded mode (no broker) it also runs "
        "the periodic jobs (reminders, horizon, closing weeks, sweepers) in-process."
    )

    def inner_run(self, *args, **options):
        # Under the autoreloader only the child process that serves gets here.
        if embedded_beat.start_once() is not None:
            jobs = ", ".join(settings.CELERY_BEAT_SCHEDULE)
            self.stdout.write(f"Periodic jobs run in this process: {jobs}")
        else:
            self.stdout.write("Periodic jobs: run `celery beat` and a worker (a broker is set).")
        return super().inner_run(*args, **options)
