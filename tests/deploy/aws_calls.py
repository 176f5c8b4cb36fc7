"""A moto endpoint that records every AWS action called through it, spelled as IAM spells it.

It serves the same in-process moto backends as the suite's main moto server (moto keeps them per process),
so a process pointed at it sees the deployed stack while the test learns exactly which actions it called.
"""

from __future__ import annotations

import io
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

# The service in a SigV4 credential scope is the IAM service prefix for every service jobwatch calls.
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


def iam_action(environ: dict[str, Any]) -> str | None:
    """`service:Operation` of a signed request: JSON protocols name it in X-Amz-Target, query protocols in Action."""
    scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if scope is None:
        return None
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return f"{scope.group(1)}:{target.rsplit('.', 1)[-1]}"
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)  # moto reads the body after us
    query = urllib.parse.parse_qs(body.decode(errors="replace")) | urllib.parse.parse_qs(
        environ.get("QUERY_STRING", "")
    )
    action = query.get("Action", [None])[0]
    return f"{scope.group(1)}:{action}" if action else f"{scope.group(1)}:?"


class RecordingMotoEndpoint:
    """`with RecordingMotoEndpoint() as endpoint:` point AWS_ENDPOINT_URL at `endpoint`, then read `actions`."""

    def __init__(self) -> None:
        self.actions: list[str] = []
        self._lock = threading.Lock()
        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(
            "127.0.0.1", 0, self._recording(app), threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _recording(self, app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        def recorded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            action = iam_action(environ)
            if action:
                with self._lock:
                    self.actions.append(action)
            return app(environ, start_response)

        return recorded

    def since(self, mark: int) -> set[str]:
        """The distinct actions called after `len(self.actions)` was `mark`."""
        with self._lock:
            return set(self.actions[mark:])

    def __enter__(self) -> str:
        self._thread.start()
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
