"""Security suite: injection-safe messages and secrets that never leak (issue 5, items 3 and 4)."""

import pytest

# The shared checks live in helper modules: have pytest explain their failed asserts as it does in tests.
pytest.register_assert_rewrite("tests.security.hostile", "tests.security.leaks")
