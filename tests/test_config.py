import os
import stat

import pytest

from config import Config, TestConfig
from meetings import create_app


@pytest.fixture()
def clean_env(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "FLASK_DEBUG", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_production_refuses_to_start_without_a_secret_key(clean_env, tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app(Config(SQLALCHEMY_DATABASE_URI="sqlite://"), instance_path=str(tmp_path))


def test_development_makes_a_secret_key_once_and_keeps_it(clean_env, tmp_path):
    clean_env.setenv("FLASK_DEBUG", "1")
    first = create_app(Config(SQLALCHEMY_DATABASE_URI="sqlite://"), instance_path=str(tmp_path))
    second = create_app(Config(SQLALCHEMY_DATABASE_URI="sqlite://"), instance_path=str(tmp_path))
    key_file = os.path.join(first.instance_path, "secret_key")
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 32
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_settings_come_from_the_environment(clean_env):
    clean_env.setenv("SECRET_KEY", "from-env")
    clean_env.setenv("BASE_URL", "https://meet.example.org/")
    clean_env.setenv("MAIL_PORT", "2525")
    clean_env.setenv("MAIL_USE_TLS", "true")
    clean_env.setenv("DATABASE_URL", "postgresql://u@db.example.org/meetings")
    config = Config()
    assert config.SECRET_KEY == "from-env"
    assert config.BASE_URL == "https://meet.example.org"
    assert config.MAIL_PORT == 2525 and config.MAIL_USE_TLS is True
    assert config.SESSION_COOKIE_SECURE is True


def test_plain_postgresql_urls_get_the_shipped_driver(clean_env):
    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI="postgresql://u@127.0.0.1:1/x_test"))
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_the_default_database_is_sqlite_under_instance(clean_env, tmp_path):
    clean_env.setenv("SECRET_KEY", "x")
    app = create_app(Config(), instance_path=str(tmp_path))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + os.path.join(app.instance_path, "meetings.sqlite3")
