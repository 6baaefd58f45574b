"""The cut-over import (issue 17): a .csv or .xlsx of customers, created or updated by username.

files.py   reads the file: a header and (line, cells) rows, the line as the file numbers it
mapping.py which column feeds which field: by name, a `column:field,...` list, a saved mapping
rows.py    each row's fields through customer.edit's own parsers (and a few of the import's)
plan.py    the checks against the database for a chunk of rows, set-based: creates, updates,
           errors by line, with customer.edit's messages (its own lookups for references)
write.py   a planned chunk written set-based: customers, audit rows, events, status through
           the lifecycle, opening bills and the ledger
runs.py    the real run of a large file: rows staged in customer_import_rows, then a background
           task writes them chunk by chunk (one transaction each, resumable)
"""
