"""Serving the kit with Voila: authentication pages and the launcher's server processes."""
