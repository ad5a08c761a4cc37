"""Accounts: who logs in (admins and organizers), their passwords, sessions and API tokens."""


def init_app(app):
    """Attach the account pages, the session loader and the ``users`` commands."""
    from meetings.accounts import api, cli, views
    from meetings.accounts.auth import init_login
    from meetings.extensions import api as rest

    init_login(app)
    app.register_blueprint(views.blueprint)
    rest.register_blueprint(api.blueprint)
    app.cli.add_command(cli.users)
