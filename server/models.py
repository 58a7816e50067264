"""Import every feature's models so the metadata (and Alembic) sees all tables."""
from .accounts import models as accounts_models  # noqa: F401
from .audit import models as audit_models  # noqa: F401
from .registry import models as registry_models  # noqa: F401
from . import settings  # noqa: F401
