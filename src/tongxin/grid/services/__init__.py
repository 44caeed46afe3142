"""Every write of the grid app: keyword-only, validated, authorised, audited, atomic."""
