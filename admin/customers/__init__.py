"""Customer pages beyond the generic ones: the customer's own page and the CSV import."""
from admin.customers.views import bp  # noqa: F401
