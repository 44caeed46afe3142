"""HTML views of the admission pipeline (files, reports, printing)."""
