"""The extension objects, created unbound; `create_app` binds them to the app."""

from typing import TYPE_CHECKING

import flask_smorest
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from meetings.core.db import Base
from meetings.core.limits import client_address
from meetings.core.schemas import ErrorSchema

db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    # The base of every model. mypy cannot take an attribute of an object (`db.Model`) as a base
    # class (python/mypy#8603); it checks the models against the declarative base db.Model extends.
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
mail = Mail()
login_manager = LoginManager()
csrf = CSRFProtect()


class Api(flask_smorest.Api):
    """flask-smorest, documenting the errors as the app really answers them."""

    ERROR_SCHEMA = ErrorSchema


api = Api()
babel = Babel()
limiter = Limiter(key_func=client_address)
