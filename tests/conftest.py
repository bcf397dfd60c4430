"""Shared test configuration.

Hypothesis profiles: ``ci`` (the default, a budget that keeps the suite fast) and ``long`` for
a deeper search::

    HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/test_adversarial.py
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "long", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
