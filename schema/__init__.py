"""The SQL migrations, installed as the package `service.schema` (see setup.py)."""
