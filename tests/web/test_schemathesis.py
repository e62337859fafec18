"""The API against its own OpenAPI document, with Schemathesis: every operation, every role.

Each operation gets requests generated from its declared parameters and bodies — valid
ones and invalid ones — sent with the token of each kind of person (and with none), on
cases in several states of both lifecycles. Any 5xx fails, and so does any answer the
document does not declare: an undeclared status, another content type, a body that does
not match its schema (the error bodies included). Transitions also get requests made of
the lifecycles' real triggers and input names, so the engine itself sees odd inputs.

The run is bounded (a few examples per operation, role and mode; no example database)
and derandomized, so a failure here is the same failure on every machine. To search
harder, set ``KYODO_FUZZ_EXAMPLES=200``: more examples, and a new random run each time.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from states import LIFECYCLES
from tests.calls.conftest import CallWorld
from tests.web.test_api import token_for

pytestmark = pytest.mark.slow

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Who calls: one of each kind of person, and nobody.
PEOPLE = ("proposer", "outsider", "secretariat", "reviewer1", "department", "approver", "admin", None)
SEARCHING = "KYODO_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("KYODO_FUZZ_EXAMPLES", "8"))
TRIGGERS = sorted({t.trigger for lc in LIFECYCLES.values() for t in lc.transitions})
INPUTS = sorted({spec.name for lc in LIFECYCLES.values() for spec in lc.inputs})

# Values a client might put in a transition's inputs: right, wrong and absurd.
ANY_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
    st.sampled_from(["2026-04-01", "9999-12-31", "0001-01-01", "entrustment", "1,000"]),
    st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@pytest.fixture
def world(session, clock):
    return CallWorld(session, clock)


@pytest.fixture
def known(world):
    """Cases in several states of both lifecycles, so that generated ids also hit real ones."""
    draft = world.new_proposal(title="下書き")
    reviewing = world.new_proposal(title="審査中")
    world.to_under_review(reviewing)
    project = world.new_proposal(title="公開される事業")
    world.to_closed(project)
    call = world.new_call()
    world.do(call, "open_call", "department")
    world.apply_as(call, "outsider")
    return [draft, reviewing, project, call]


def _strategies(op, known: list[int]):
    """The operation's own strategies, and the same on the known cases."""
    params = {p.name for p in op.path_parameters}
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        yield mode.value, op.as_strategy(generation_mode=mode)
    if "pid" in params:
        yield "known", st.one_of(*(op.as_strategy(path_parameters={"pid": pid}) for pid in known))
        if op.method.upper() == "POST" and op.path.endswith("/transitions"):
            bodies = st.fixed_dictionaries({
                "trigger": st.sampled_from(TRIGGERS),
                "inputs": st.dictionaries(st.sampled_from(INPUTS), ANY_VALUE, max_size=4),
                "version": st.integers(min_value=0, max_value=40)})
            yield "triggers", st.tuples(st.sampled_from(known), bodies).flatmap(
                lambda pair: op.as_strategy(path_parameters={"pid": pair[0]}, body=pair[1]))


def test_every_operation_answers_as_its_document_says(web, world, known, as_):
    schema = schemathesis.openapi.from_asgi("/openapi.json", web)
    tokens = {who: token_for(as_, who) for who in PEOPLE if who}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8, [op.label for op in operations]
    ran = 0
    for op in operations:
        for who in PEOPLE:
            headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
            for name, strategy in _strategies(op, known):

                @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not SEARCHING,
                          suppress_health_check=list(HealthCheck))
                @given(case=strategy)
                def check(case):
                    case.call_and_validate(headers={**(case.headers or {}), **headers}, checks=CHECKS)

                try:
                    check()
                except Exception as exc:
                    exc.add_note(f"{op.label} as {who or 'nobody'} ({name})")
                    raise
                ran += 1
    assert ran >= len(operations) * len(PEOPLE) * 2
