"""The engine and its rules: the one way a case changes (``apply``), and what it writes.

``core`` applies a trigger; ``machine`` builds the pytransitions machines from ``states/``;
``authorization`` decides who may act; ``inputs`` checks what they give; ``deadlines`` and
``outbox`` write what the change owes; ``recipients`` resolves who is told.
"""

from workflow.engine.core import (  # noqa: F401
    Outcome,
    apply,
    create,
    load_case_row,
    possible_now,
)
