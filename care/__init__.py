"""Customer care (issue 14): the complaint desk for staff and the customers' side of it."""
