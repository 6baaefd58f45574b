"""The admin for gunicorn: `gunicorn admin.wsgi:app` (what `radbill up` runs)."""
import logging

from admin import create_app

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
app = create_app()
