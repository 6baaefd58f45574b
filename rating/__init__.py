"""Rating: accounting to usage, bills, payments and the ledger."""
