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
from states.registry import LIFECYCLES, get_lifecycle  # noqa: F401
