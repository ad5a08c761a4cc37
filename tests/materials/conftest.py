from tests.materials.helpers import cast  # noqa: F401 (the fixture)
