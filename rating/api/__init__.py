"""The functions rating registers (bill, payment, card, ledger, reports): thin over rating/."""
