"""Import every feature's models so the metadata (and Alembic) sees all tables."""
from .accounts import models as accounts_models  # noqa: F401
from .audit import checkpoints as audit_checkpoints, witnesses as audit_witnesses  # noqa: F401
from .audit import models as audit_models  # noqa: F401
from .registry import models as registry_models  # noqa: F401
from .registry.feeds import models as registry_feed_models  # noqa: F401
from .inspectors import models as inspectors_models  # noqa: F401
from . import settings  # noqa: F401
from .catalog import models as catalog_models  # noqa: F401
from .plans import models as plans_models  # noqa: F401
from .delivery import models as leads_models  # noqa: F401
from sync import models as sync_models  # noqa: F401,E402
from media import models as media_models  # noqa: F401,E402
from .calendar import models as review_models  # noqa: F401,E402
from .draws import models as draws_models  # noqa: F401,E402
from .visits import models as visits_models  # noqa: F401,E402
from .review import models as review_workflow_models  # noqa: F401,E402
from .leads import models as lead_models  # noqa: F401,E402
from .objections import models as objection_models  # noqa: F401,E402
