"""Listings: the symbol registry, exchange calendars and day 0 of an announcement."""
