"""Ids are checked before they reach a URL; rules merge global -> collector -> job."""

from __future__ import annotations

import pytest

from jobwatch.ids import InvalidIdError, validate_collector_id, validate_job_id
from jobwatch.rules import InvalidRuleError, Rules, effective_rules, parse_channels

DEFAULTS = Rules(0.9, 10, ("slack", "email"), 360.0, 6, 0.02, False)


@pytest.mark.parametrize("job_id", ["j_ma13y9ay1piehrso8r", "j_abcd"])
def test_job_ids_bright_data_issues_are_accepted(job_id: str) -> None:
    assert validate_job_id(job_id) == job_id


@pytest.mark.parametrize(
    "bad", ["", "j_", "J_MA13Y9", "c_m9im5n7v82p2y35la", "j_abc/../x", "j_x?y=1", " j_abcd", None, 7]
)
def test_anything_else_is_rejected_with_a_message_saying_what_is_expected(bad: object) -> None:
    with pytest.raises(InvalidIdError, match=r"expected 'j_' followed by lowercase letters and digits"):
        validate_job_id(bad)


def test_collector_ids_are_checked_the_same_way() -> None:
    assert validate_collector_id("c_m9im5n7v82p2y35la") == "c_m9im5n7v82p2y35la"
    with pytest.raises(InvalidIdError, match="invalid collector id 'j_abcdef'"):
        validate_collector_id("j_abcdef")


def test_the_most_specific_rule_wins_and_unset_levels_inherit() -> None:
    collector = {"min_success_rate": 0.8, "channels": ["slack"]}
    job = {"min_success_rate": 0.5, "mute_until": 1_800_000_000}

    rules = effective_rules(DEFAULTS, collector, job)

    assert (rules.min_success_rate, rules.channels, rules.min_inputs) == (0.5, ("slack",), 10)
    assert rules.muted(1_799_999_999) and not rules.muted(1_800_000_000)


def test_channels_parse_in_canonical_order_and_reject_unknown_names() -> None:
    assert parse_channels("email,slack") == ("slack", "email")
    with pytest.raises(InvalidRuleError, match="use slack, email or slack,email"):
        parse_channels("pager")


def test_a_stored_rule_out_of_range_is_rejected() -> None:
    with pytest.raises(InvalidRuleError, match="use a fraction from 0 to 1"):
        DEFAULTS.overlay({"min_success_rate": 90})
