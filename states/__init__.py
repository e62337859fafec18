"""The lifecycles of Kyodo, declared as data.

Nothing here does I/O or imports the rest of Kyodo: the engine (``workflow``), the web
forms, the notices and the diagrams all read these definitions, so the graph exists once.
"""

from states.model import (  # noqa: F401
    Condition,
    DeadlinePolicy,
    InputSpec,
    Notify,
    Lifecycle,
    State,
    Transition,
)
from states.registry import (  # noqa: F401
    LIFECYCLES,
    VERSIONS,
    all_versions,
    describe_deadline,
    describe_state,
    every_state,
    get_lifecycle,
    in_effect,
    lifecycle_of,
)
