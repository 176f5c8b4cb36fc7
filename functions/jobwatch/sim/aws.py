"""AWS for tests and the offline demo: a moto server on loopback and the fake credentials that go with it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def moto_server() -> Iterator[str]:
    """Run moto's threaded server on 127.0.0.1 (ephemeral port) and yield its endpoint ``http://127.0.0.1:PORT``.

    moto keeps its state per process, not per server: the state is reset on entry and on exit, so each
    server starts empty. moto is imported here, not at module level, so the Lambda package never needs it.
    """
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 - test-only dependency, imported lazily

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        _reset(endpoint)
        yield endpoint
        _reset(endpoint)
    finally:
        server.stop()


def _reset(endpoint: str) -> None:
    import urllib3  # noqa: PLC0415

    urllib3.request("POST", f"{endpoint}/moto-api/reset", timeout=10, retries=False)


def fake_credentials_env() -> dict[str, str]:
    """Environment variables that point boto3 at harmless fake credentials in us-east-1."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
