import os

from django.core.wsgi import get_wsgi_application

from paperclub.startup import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperclub.settings.base")
application = get_wsgi_application()
require_secret_key()
