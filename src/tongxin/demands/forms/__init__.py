"""Forms of the demand pages (staff side in staff.py, actions.py, catalogue.py; the
resident portal's own forms in portal*.py)."""
