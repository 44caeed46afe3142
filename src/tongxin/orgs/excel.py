"""Excel import and export of organisations and units (being written)."""
