"""Conferencing: the videoconference providers (Jitsi, BigBlueButton, a fixed link), the join
page behind every join link, and the roll call reached from a site's link."""


def init_app(app):
    """Attach the join and roll-call pages."""
    from meetings.conferencing import views

    app.register_blueprint(views.blueprint)
