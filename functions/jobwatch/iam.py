"""Every AWS action the monitor calls, as each adapter declares it: the deploy tests hold template.yaml's role to
exactly this list (and record a real run's calls against it)."""

from __future__ import annotations

from jobwatch import notify, runtime, store

REQUIRED_ACTIONS = frozenset({*store.IAM_ACTIONS, *notify.IAM_ACTIONS, *runtime.IAM_ACTIONS})
