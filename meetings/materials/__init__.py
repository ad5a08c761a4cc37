"""Materials: files attached to a meeting, an agenda item or a speaker slot; their versions,
audience and confidentiality; the storage of their bytes; the access log; speakers' uploads
through their invitation link, the deadline and its reminders."""


def init_app(app):
    """Attach the materials API, the link pages' materials, and the deadline reminders."""
    from meetings.extensions import api as rest
    from meetings.materials import api, models  # noqa: F401 (models: the tables, their content versions)

    rest.register_blueprint(api.blueprint)
