# Read by gunicorn when started from the project root (`radbill up`, `gunicorn admin.wsgi:app`):
# credentials in query strings are masked in the access and error logs (admin/accesslog.py).
logger_class = "admin.accesslog.RedactingLogger"
