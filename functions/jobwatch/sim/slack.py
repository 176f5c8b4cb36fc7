"""A loopback Slack incoming webhook that validates payloads like Slack does and records what it accepted."""

from __future__ import annotations

import json
import time
from typing import Any

from . import LoopbackServer, Request, Response

WEBHOOK_PATH = "/services/T0LOOPBACK/B0LOOPBACK/sim5e1f9a2c7d4b"  # Slack's shape; a fake secret
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
# Slack answers errors with a short plain-text reason.
ERROR_BODIES = {
    400: "invalid_payload",
    403: "invalid_token",
    404: "no_service",
    410: "channel_is_archived",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
}


def _block_error(blocks: Any) -> str | None:
    """Slack's ``invalid_blocks`` checks that matter for jobwatch; ``None`` when the blocks are acceptable."""
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    for block in blocks:
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            return "invalid_blocks"
        text = block.get("text")
        content = text.get("text", "") if isinstance(text, dict) else ""
        limit = {"section": MAX_SECTION_TEXT, "header": MAX_HEADER_TEXT}.get(block["type"])
        if limit is not None and (not isinstance(content, str) or len(content) > limit):
            return "invalid_blocks"
    return None


class SlackReceiver(LoopbackServer):
    """Loopback Slack webhook: ``with SlackReceiver() as slack:`` then post to ``slack.webhook_url``."""

    fault_kinds = frozenset({"reset", "slow", "timeout"})
    chaos_kinds = frozenset({"500", "429", "reset"})

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[dict[str, Any]] = []
        self.received_at: list[float] = []

    @property
    def webhook_url(self) -> str:
        """The only URL that accepts posts."""
        return self.url + WEBHOOK_PATH

    def texts(self) -> list[str]:
        """The plain-text fallback (``text``) of every accepted message, in arrival order."""
        with self._lock:
            return [str(message.get("text", "")) for message in self.messages]

    def route(self, request: Request) -> Response:
        """Accept a valid JSON post on the webhook path, as Slack does."""
        if request.path != WEBHOOK_PATH:
            return Response.text(404, "no_service")
        if request.method != "POST":
            return Response.text(405, "invalid_method")
        try:
            payload = json.loads(request.body)
        except ValueError:
            return Response.text(400, "invalid_payload")
        if not isinstance(payload, dict) or not (payload.get("text") or payload.get("blocks")):
            return Response.text(400, "no_text")
        if "blocks" in payload and (error := _block_error(payload["blocks"])):
            return Response.text(400, error)
        with self._lock:
            self.messages.append(payload)
            self.received_at.append(time.monotonic())
        return Response.text(200, "ok")

    def status_fault(self, kind: str, headers: dict[str, str] | None, body: bytes | None) -> Response:
        """Slack-style fault: plain-text reason, and a Retry-After on every 429 unless headers were given."""
        status = int(kind.split("_", 1)[0])
        if headers is None:
            headers = {"Retry-After": self.retry_after} if kind == "429" else {}
        text = body.decode() if body is not None else ERROR_BODIES.get(status, "error")
        response = Response.text(status, text)
        response.headers = headers
        return response

    def reset_counters(self) -> None:
        """Also forget the recorded messages."""
        super().reset_counters()
        with self._lock:
            self.messages.clear()
            self.received_at.clear()
