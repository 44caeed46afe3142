"""Forms of the admission pages."""
