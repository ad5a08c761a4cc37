"""Pages of the minutes (filled in below)."""


def init_app(app):
    """Attach the pages."""
