"""What pyproject.toml cannot say: the top-level schema/ ships inside the wheel as service.schema.

The SQL migrations stay in schema/ at the repository's top (a fixed choice of the project), and
the service reads them with importlib.resources, installed or editable alike.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages(include=["service", "service.*"]), "service.schema"],
    package_dir={"service.schema": "schema"},
    # Package data (the migrations, the pages' templates) is listed in pyproject.toml.
)
