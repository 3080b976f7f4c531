from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from guardrails.policy import Cap, GuardrailPolicy, QuietHours, Window, load_guardrail_policy
from nextbest.contracts import Channel
from nextbest.errors import PolicyError
from nextbest.settings import default_policy_dir

SHIPPED = default_policy_dir() / "guardrails.yaml"


def _load(tmp_path: Path, text: str) -> GuardrailPolicy:
    path = tmp_path / "guardrails.yaml"
    path.write_text(text, encoding="utf-8")
    return load_guardrail_policy(path)


def _error(tmp_path: Path, text: str) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        _load(tmp_path, text)
    return caught.value


def test_shipped_file_states_the_documented_defaults() -> None:
    policy = load_guardrail_policy(SHIPPED)
    email = policy.caps.channels[Channel.EMAIL]
    assert [(cap.limit, cap.window) for cap in email] == [(1, Window.CALENDAR_DAY), (3, Window.CALENDAR_WEEK)]
    assert [(cap.limit, cap.window) for cap in policy.caps.channels[Channel.PUSH]] == [(2, Window.CALENDAR_DAY)]
    assert [(cap.limit, cap.window) for cap in policy.caps.channels[Channel.SMS]] == [(1, Window.CALENDAR_WEEK)]
    assert policy.caps.offers.default == Cap(limit=1, window=Window.ROLLING, hours=720)
    assert policy.caps.contact_pressure == [Cap(limit=4, window=Window.ROLLING, hours=168)]
    assert (policy.quiet_hours.start, policy.quiet_hours.end) == (time(21), time(8))
    assert policy.restraint.min_score == 0.35
    assert policy.restraint.fatigue_ignored_in_a_row == 3
    assert policy.business.max_discount_percent == 30
    assert set(policy.consent.no_consent_needed) == {Channel.WEB, Channel.APP}


def test_empty_file_means_the_defaults(tmp_path: Path) -> None:
    assert _load(tmp_path, "# nothing yet\n") == GuardrailPolicy()


def test_misspelt_key_names_its_line(tmp_path: Path) -> None:
    error = _error(tmp_path, "restraint:\n  min_score: 0.4\n  min_scroe: 0.5\n")
    assert (error.line, error.key) == (3, "restraint.min_scroe")
    assert "unknown key" in error.message
    assert str(error).startswith(f"{tmp_path / 'guardrails.yaml'}:3:")


def test_bad_value_in_a_list_names_the_item_line(tmp_path: Path) -> None:
    text = (
        "caps:\n  channels:\n    email:\n"
        "      - {limit: 1, window: calendar_day}\n"
        "      - {limit: 3, window: fortnight}\n"
    )
    error = _error(tmp_path, text)
    assert error.line == 5
    assert error.key == "caps.channels.email.1.window"


def test_rolling_cap_without_hours_is_rejected(tmp_path: Path) -> None:
    error = _error(tmp_path, "caps:\n  contact_pressure:\n    - {limit: 4, window: rolling}\n")
    assert error.line == 3
    assert "hours" in error.message


def test_unknown_channel_is_rejected(tmp_path: Path) -> None:
    error = _error(tmp_path, "cooldowns:\n  channel_gap_hours:\n    fax: 3\n")
    assert error.line == 3
    assert error.key == "cooldowns.channel_gap_hours.fax"


def test_unquoted_clock_time_gets_a_helpful_message(tmp_path: Path) -> None:
    error = _error(tmp_path, "quiet_hours:\n  start: 21:00\n")
    assert error.line == 2
    assert "quotes" in error.message


def test_ads_cannot_be_made_consent_free(tmp_path: Path) -> None:
    error = _error(tmp_path, "consent:\n  no_consent_needed: [web, ads]\n")
    assert error.line == 2
    assert "ads" in error.message


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    error = _error(tmp_path, "restraint:\n  min_score: 0.4\n  min_score: 0.9\n")
    assert (error.line, error.key, error.message) == (3, "restraint.min_score", "duplicate key")


def test_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    error = _error(tmp_path, "restraint:\n  min_score: [0.4\n")
    assert error.line is not None and error.line >= 2
    assert "invalid YAML" in error.message


def test_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_guardrail_policy(tmp_path / "absent.yaml")


def test_history_lookback_covers_the_longest_window(tmp_path: Path) -> None:
    policy = _load(tmp_path, "caps:\n  offers:\n    default: {limit: 1, window: rolling, hours: 2000}\n")
    assert policy.history_lookback() == timedelta(hours=2000)
    assert GuardrailPolicy().history_lookback() == timedelta(days=31)


@pytest.mark.parametrize(
    ("clock", "quiet"),
    [("20:59", False), ("21:00", True), ("23:59", True), ("00:00", True), ("07:59", True), ("08:00", False)],
)
def test_quiet_window_spans_midnight(clock: str, quiet: bool) -> None:
    hours = QuietHours()
    moment = datetime.fromisoformat(f"2026-11-28T{clock}").replace(tzinfo=ZoneInfo("Europe/Paris"))
    assert hours.contains(moment) is quiet


def test_quiet_window_ends_next_morning() -> None:
    evening = datetime(2026, 11, 28, 22, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert QuietHours().end_after(evening) == datetime(2026, 11, 29, 8, 0, tzinfo=ZoneInfo("Europe/Paris"))
    early = datetime(2026, 11, 29, 6, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert QuietHours().end_after(early) == datetime(2026, 11, 29, 8, 0, tzinfo=ZoneInfo("Europe/Paris"))
