"""Import every feature's models so the metadata (and Alembic) sees all tables."""
from .accounts import models as accounts_models  # noqa: F401
from .audit import models as audit_models  # noqa: F401
from .inspectors import models as inspectors_models  # noqa: F401
from . import settings  # noqa: F401
