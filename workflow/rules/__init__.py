"""What the transitions of every lifecycle check and record, one module per concept.

``states/`` names a transition's conditions, its effect and its notices' content; the
functions answering those names live here, shared by every lifecycle that uses them
(reviews, decisions with reasons, notes, case creation …), and ``catalogue`` says, per
lifecycle and explicitly, which name means which function. Nothing here imports the
engine at run time: the engine calls the rules, never the other way round.
"""
