"""Collab's HTTP service. Importing it first fixes the tables' MetaData (see core.metadata)."""

import api.core.metadata  # noqa: F401
