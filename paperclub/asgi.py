import os

from django.core.asgi import get_asgi_application

from paperclub.startup import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperclub.settings.base")
application = get_asgi_application()
require_secret_key()
