"""Kyodo's web tier: server-rendered pages for every role, the public pages and the JSON API.

Every change goes through ``workflow.engine.apply`` (or ``workflow.proposals`` for drafts);
this package only turns requests into those calls and their results into pages.
"""
