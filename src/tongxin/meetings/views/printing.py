"""Printable meeting records and yearly summaries (owner fills in)."""
