"""Running notebooks: reproduce, the template, and provenance records."""
