"""Accounts: who logs in (admins and organizers), their passwords, sessions and API tokens."""


def init_app(app):
    """Attach the account pages, the session loader and the ``users`` commands."""
    from meetings.accounts import cli, views
    from meetings.accounts.auth import init_login

    init_login(app)
    app.register_blueprint(views.blueprint)
    app.cli.add_command(cli.users)
