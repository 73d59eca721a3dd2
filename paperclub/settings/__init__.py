# `paperclub.settings` is the settings every process uses: everything comes from
# the environment (see .env.example). Tests use paperclub.settings.test.
from .base import *  # noqa: F403
