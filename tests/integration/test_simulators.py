"""The loopback simulators speak real HTTP over sockets and behave as scripted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import urllib3

from jobwatch.sim.aws import fake_credentials_env, moto_server
from jobwatch.sim.brightdata import BrightDataSimulator, lifecycle

TOKEN = "t0k3n"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def bd() -> Iterator[BrightDataSimulator]:
    with BrightDataSimulator(token=TOKEN, base_time="2025-04-28T08:00:00.000Z") as sim:
        sim.timeout_delay = 0.4
        sim.slow_delay = 0.05
        yield sim


@pytest.fixture
def http() -> Iterator[urllib3.PoolManager]:
    pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=1, read=2))
    yield pool
    pool.clear()


def get(http: urllib3.PoolManager, url: str, **kwargs: Any) -> urllib3.BaseHTTPResponse:
    return http.request("GET", url, headers=kwargs.pop("headers", AUTH), **kwargs)


def post_json(http: urllib3.PoolManager, url: str, payload: Any) -> urllib3.BaseHTTPResponse:
    return http.request("POST", url, body=json.dumps(payload), headers={"Content-Type": "application/json"})


# -- Bright Data: lifecycles ---------------------------------------------------------------------------------


def test_tick_advances_every_job_and_stops_on_the_last_state(bd, http):
    # Given an "ok" job and a job that fails
    bd.add_job("j_ok", lifecycle("ok", inputs=100, steps=4))
    bd.add_job("j_bad", [{"status": "running", "inputs": 100, "success": 10, "pages_left": 90}, {"status": "failed"}])
    # When nobody ticks, requests do not move the jobs
    seen = [get(http, f"{bd.url}/dca/log/j_ok").json()["status"] for _ in range(3)]
    # Then the first state shows until tick() moves all jobs, and the last state sticks
    assert seen == ["building"] * 3
    statuses = []
    for _ in range(4):
        bd.tick()
        statuses.append(get(http, f"{bd.url}/dca/log/j_ok").json()["status"])
    assert statuses == ["running", "running", "done", "done"]
    assert get(http, f"{bd.url}/dca/log/j_bad").json()["status"] == "failed"


def test_state_is_merged_over_consistent_defaults(bd, http):
    # Given a job scripted with only a few fields
    bd.add_job("j_1", [{"status": "running", "inputs": 100, "success": 10, "pages_left": 90}], collector="c_x")
    # When it is fetched
    body = get(http, f"{bd.url}/dca/log/j_1").json()
    # Then the defaults fill in the rest, consistently with what the state said
    assert body["id"] == "j_1"
    assert body["collector"] == "c_x"
    assert body["success_rate"] == 0.1
    assert body["created"] == "2025-04-28T08:00:00.000Z"
    assert body["started"] == "2025-04-28T08:00:00.645Z"
    assert body["finished"] is None
    # And set_state replaces the current state
    bd.set_state("j_1", {"status": "done", "inputs": 100, "success": 100, "job_time": 60_000})
    done = get(http, f"{bd.url}/dca/log/j_1").json()
    assert (done["status"], done["success_rate"], done["pages_left"]) == ("done", 1.0, 0)
    assert done["finished"] == "2025-04-28T08:01:00.645Z"


@pytest.mark.parametrize("kind", ["ok", "fail", "cancel", "low_rate", "hang", "slow_progress"])
def test_lifecycle_numbers_are_consistent(kind):
    # Given / When a built lifecycle
    states = lifecycle(kind, inputs=100, steps=5)
    # Then every state's numbers agree with each other, and pages_left never grows
    assert len(states) == 5
    for state in states:
        assert state["success_rate"] == pytest.approx(state["success"] / state["inputs"])
        assert state["success"] + state["fails"] <= state["inputs"]
    lefts = [state["pages_left"] for state in states]
    assert lefts == sorted(lefts, reverse=True)
    final = {"ok": "done", "fail": "failed", "cancel": "cancelled", "low_rate": "done"}.get(kind, "running")
    assert states[-1]["status"] == final
    if kind == "low_rate":
        assert (states[-1]["success"], states[-1]["fails"], states[-1]["success_rate"]) == (50, 50, 0.5)
    if kind == "hang":
        assert all(state == states[0] for state in states)


def test_capitalized_job_returns_capitalized_keys(bd, http):
    # Given a job in the capitalised dialect
    bd.add_job("j_cap", lifecycle("ok"), capitalized=True)
    # When it is fetched
    body = get(http, f"{bd.url}/dca/log/j_cap").json()
    # Then every key starts with a capital letter
    assert body["Status"] == "building"
    assert {"Id", "Success_rate", "Pages_left", "Job_time"} <= body.keys()
    assert "status" not in body


# -- Bright Data: auth and missing jobs ----------------------------------------------------------------------


def test_wrong_or_revoked_token_is_unauthorized(bd, http):
    # Given a known job
    bd.add_job("j_1", lifecycle("ok"))
    # When asked with a wrong token, with none, or after revocation
    wrong = get(http, f"{bd.url}/dca/log/j_1", headers={"Authorization": "Bearer nope"})
    missing = get(http, f"{bd.url}/dca/log/j_1", headers={})
    bd.revoke_token()
    revoked = get(http, f"{bd.url}/dca/log/j_1")
    bd.set_token("new")
    renewed = get(http, f"{bd.url}/dca/log/j_1", headers={"Authorization": "Bearer new"})
    # Then each is a 401 until the new token is used
    assert [wrong.status, missing.status, revoked.status] == [401, 401, 401]
    assert wrong.json() == {"error": "Unauthorized"}
    assert renewed.status == 200


def test_removed_job_is_not_found(bd, http):
    # Given a job that then expires
    bd.add_job("j_gone", lifecycle("ok"), errors=[{"input": {}, "error": "x", "error_code": "blocked"}])
    bd.remove_job("j_gone")
    # When it is fetched
    log = get(http, f"{bd.url}/dca/log/j_gone")
    errors = get(http, f"{bd.url}/dca/jobs/j_gone/hp_errors")
    # Then both endpoints answer 404
    assert (log.status, log.json()) == (404, {"error": "job not found"})
    assert errors.status == 404


def test_hp_errors_returns_the_configured_records(bd, http):
    # Given one job with errors and one without
    records = [
        {"input": {"url": "https://example.com/a"}, "error": "Page not found", "error_code": "dead_page"},
        {"input": {"url": "https://example.com/b"}, "error": "Blocked by target", "error_code": "blocked"},
    ]
    bd.add_job("j_err", lifecycle("low_rate"), errors=records)
    bd.add_job("j_clean", lifecycle("ok"))
    # When their errors are fetched
    # Then the records come back verbatim, and the default is an empty list
    assert get(http, f"{bd.url}/dca/jobs/j_err/hp_errors").json() == records
    assert get(http, f"{bd.url}/dca/jobs/j_clean/hp_errors").json() == []


# -- Bright Data: collector listing --------------------------------------------------------------------------


def test_collector_listing_is_filtered_ordered_and_paged(bd, http):
    # Given 600 jobs of one collector, one of another, and one outside the date range
    for i in range(600):
        bd.add_job(f"j_{i:04d}", lifecycle("ok"), collector="c_a")
    bd.add_job("j_other", lifecycle("ok"), collector="c_b")
    bd.add_job("j_old", lifecycle("ok"), collector="c_a", created="2025-04-01T10:00:00Z")
    url = f"{bd.url}/dca/collector/jobs?collector=c_a&from_date=2025-04-28&to_date=2025-04-28"
    # When the listing is paged with the maximum limit
    first = get(http, f"{url}&offset=0&limit=500").json()
    second = get(http, f"{url}&offset=500&limit=500").json()
    # Then 500 + 100 jobs come back, newest first, only of that collector and date range
    assert (len(first), len(second)) == (500, 100)
    ids = [job["id"] for job in first + second]
    assert ids[0] == "j_0599"
    assert ids[-1] == "j_0000"
    assert len(set(ids)) == 600
    assert {job["collector"] for job in first + second} == {"c_a"}
    # And over-large limits or missing dates are rejected
    too_many = get(http, f"{url}&limit=501")
    assert (too_many.status, too_many.json()) == (400, {"error": "limit must be <= 500"})
    assert get(http, f"{bd.url}/dca/collector/jobs?collector=c_a&to_date=2025-04-28").status == 400


# -- Bright Data: faults -------------------------------------------------------------------------------------


def test_fail_next_429_carries_retry_after_then_recovers(bd, http):
    # Given a job and one scripted 429
    bd.add_job("j_1", lifecycle("ok"))
    bd.fail_next(429, headers={"Retry-After": "30"})
    # When it is fetched twice
    limited = get(http, f"{bd.url}/dca/log/j_1")
    normal = get(http, f"{bd.url}/dca/log/j_1")
    # Then the first is throttled with Retry-After and counted, the second is normal
    assert (limited.status, limited.headers["Retry-After"]) == (429, "30")
    assert normal.status == 200
    assert bd.faults["429"] == 1
    assert len(bd.responses_429_times) == 1
    assert bd.count("/dca/log/", status=429) == 1


def test_fail_next_only_hits_matching_paths(bd, http):
    # Given a 503 scripted for the errors endpoint only
    bd.add_job("j_1", lifecycle("ok"))
    bd.fail_next(503, count=2, path_prefix="/dca/jobs/")
    # When the log and the errors are fetched
    # Then only the errors endpoint fails, twice
    assert get(http, f"{bd.url}/dca/log/j_1").status == 200
    assert [get(http, f"{bd.url}/dca/jobs/j_1/hp_errors").status for _ in range(3)] == [503, 503, 200]


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        ("slow", lambda r: r.status == 200 and r.json()["id"] == "j_1"),
        ("bad_json", lambda r: r.status == 200 and r.data == b'{"id": "j_'),
        ("empty", lambda r: r.status == 200 and r.data == b""),
        ("missing_fields", lambda r: r.json() == {"id": "j_1"}),
        ("wrong_types", lambda r: r.json()["inputs"] == "lots" and r.json()["status"] == 7),
        ("html", lambda r: r.headers["Content-Type"].startswith("text/html") and b"<html>" in r.data),
    ],
)
def test_payload_fault_kinds(bd, http, kind, check):
    # Given a job and one scripted fault
    bd.add_job("j_1", lifecycle("ok"))
    bd.fail_next_kind(kind)
    # When it is fetched
    response = get(http, f"{bd.url}/dca/log/j_1")
    # Then the fault shows, is counted, and the next request is normal
    assert check(response)
    assert bd.faults[kind] == 1
    assert get(http, f"{bd.url}/dca/log/j_1").json()["status"] == "building"


@pytest.mark.parametrize(
    ("kind", "error"), [("timeout", urllib3.exceptions.ReadTimeoutError), ("reset", urllib3.exceptions.ProtocolError)]
)
def test_connection_fault_kinds(bd, http, kind, error):
    # Given a job and one scripted connection fault
    bd.add_job("j_1", lifecycle("ok"))
    bd.fail_next_kind(kind)
    # When it is fetched with a read timeout shorter than the simulator's timeout delay
    with pytest.raises(error):
        get(http, f"{bd.url}/dca/log/j_1", timeout=urllib3.Timeout(connect=1, read=0.2))
    # Then the client sees the failure, and the next request is normal
    assert get(http, f"{bd.url}/dca/log/j_1").status == 200
    assert bd.faults[kind] == 1


def chaos_statuses(bd: BrightDataSimulator, http: urllib3.PoolManager, seed: int) -> list[int]:
    bd.chaos(seed, {"500": 0.1, "503": 0.1, "429": 0.1, "429_no_retry_after": 0.1, "bad_json": 0.1})
    statuses = [get(http, f"{bd.url}/dca/log/j_1").status for _ in range(60)]
    bd.calm()
    return statuses


def test_chaos_is_deterministic_for_a_seed(bd, http):
    # Given a job
    bd.add_job("j_1", lifecycle("ok"))
    # When the same seeded chaos runs twice, and another seed once
    first, second, other = chaos_statuses(bd, http, 7), chaos_statuses(bd, http, 7), chaos_statuses(bd, http, 8)
    # Then the same seed gives the same statuses, with a mix of faults, and calm() stops them
    assert first == second
    assert first != other
    assert {500, 503, 429, 200} <= set(first)
    assert get(http, f"{bd.url}/dca/log/j_1").status == 200
    assert sum(bd.faults.values()) > 0


def test_chaos_429_has_retry_after_unless_asked_not_to(bd, http):
    # Given chaos that always throttles, with and without Retry-After
    bd.add_job("j_1", lifecycle("ok"))
    bd.chaos(1, {"429": 1.0})
    with_header = get(http, f"{bd.url}/dca/log/j_1")
    bd.chaos(1, {"429_no_retry_after": 1.0})
    without_header = get(http, f"{bd.url}/dca/log/j_1")
    # Then only the first carries Retry-After
    assert with_header.headers.get("Retry-After") == bd.retry_after
    assert "Retry-After" not in without_header.headers
    assert bd.faults["429_no_retry_after"] == 1


def test_latency_is_added_to_every_response(bd, http):
    # Given 50 ms of injected latency
    bd.add_job("j_1", lifecycle("ok"))
    bd.latency = 0.05
    # When two requests are made
    for _ in range(2):
        get(http, f"{bd.url}/dca/log/j_1")
    # Then the log records both, at least 50 ms apart
    first, second = bd.requests[-2:]
    assert second.time - first.time >= 0.05
    assert (second.method, second.path, second.status) == ("GET", "/dca/log/j_1", 200)
    bd.reset_counters()
    assert bd.count() == 0


# -- Slack ---------------------------------------------------------------------------------------------------


def test_slack_records_valid_messages_in_order(slack, http):
    # Given two valid messages
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "Job failed"}}]
    # When they are posted
    first = post_json(http, slack.webhook_url, {"text": "one"})
    second = post_json(http, slack.webhook_url, {"text": "two", "blocks": blocks})
    # Then both are accepted and recorded in arrival order
    assert (first.status, first.data) == (200, b"ok")
    assert second.status == 200
    assert slack.texts() == ["one", "two"]
    assert slack.messages[1]["blocks"] == blocks
    assert slack.received_at == sorted(slack.received_at)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"username": "x"}, b"no_text"),
        ({"text": "x", "blocks": [{"type": "divider"}] * 51}, b"invalid_blocks"),
        (
            {"text": "x", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "a" * 3001}}]},
            b"invalid_blocks",
        ),
        (
            {"text": "x", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "a" * 151}}]},
            b"invalid_blocks",
        ),
    ],
)
def test_slack_rejects_what_slack_rejects(slack, http, payload, reason):
    # Given / When an invalid payload is posted
    response = post_json(http, slack.webhook_url, payload)
    # Then it is refused with Slack's reason and not recorded
    assert (response.status, response.data) == (400, reason)
    assert slack.messages == []


def test_slack_other_paths_have_no_service(slack, http):
    # Given / When a post goes to another hook path
    response = post_json(http, slack.url + "/services/T000/B000/other", {"text": "x"})
    # Then it is 404 no_service
    assert (response.status, response.data) == (404, b"no_service")


def test_slack_faults_are_counted_not_recorded(slack, http):
    # Given a 429, an archived channel and a reset scripted
    slack.fail_next(429, headers={"Retry-After": "3"})
    slack.fail_next(410)
    slack.fail_next_kind("reset")
    # When four messages are posted
    limited = post_json(http, slack.webhook_url, {"text": "1"})
    archived = post_json(http, slack.webhook_url, {"text": "2"})
    with pytest.raises(urllib3.exceptions.ProtocolError):
        post_json(http, slack.webhook_url, {"text": "3"})
    post_json(http, slack.webhook_url, {"text": "4"})
    # Then only the last is recorded, and the faults carry Slack's headers and reasons
    assert (limited.status, limited.headers["Retry-After"]) == (429, "3")
    assert (archived.status, archived.data) == (410, b"channel_is_archived")
    assert slack.texts() == ["4"]
    assert slack.faults == {"429": 1, "410": 1, "reset": 1}


def test_slack_chaos_is_deterministic(slack, http):
    # Given seeded chaos
    def run() -> list[int]:
        slack.chaos(3, {"500": 0.3, "429": 0.3})
        statuses = [post_json(http, slack.webhook_url, {"text": "x"}).status for _ in range(30)]
        slack.calm()
        return statuses

    # When the same seed runs twice
    first, second = run(), run()
    # Then the statuses repeat and only successes were recorded
    assert first == second
    assert len(slack.messages) == 2 * first.count(200)


# -- AWS (moto) ----------------------------------------------------------------------------------------------


def test_moto_server_answers_dynamodb(monkeypatch):
    # Given fake credentials and a moto server on loopback
    for name, value in fake_credentials_env().items():
        monkeypatch.setenv(name, value)
    with moto_server() as endpoint:
        assert endpoint.startswith("http://127.0.0.1:")
        client = boto3.client("dynamodb", endpoint_url=endpoint)
        # When a table is created and the tables listed
        client.create_table(
            TableName="jobs",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        # Then the server answers through boto3
        assert client.list_tables()["TableNames"] == ["jobs"]
