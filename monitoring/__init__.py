"""Status checks, incidents, announcements and the public status page (issue 18)."""
