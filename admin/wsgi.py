"""The admin for gunicorn: `gunicorn admin.wsgi:app` (what `radbill up` runs)."""
import logging

from admin import create_app
from admin.accesslog import RedactingFilter

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
for _handler in logging.getLogger().handlers:  # the app's own lines are masked like gunicorn's
    _handler.addFilter(RedactingFilter())
app = create_app()
