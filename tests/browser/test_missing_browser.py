"""Without Chromium the browser tests skip on a developer's machine and fail in CI."""

from __future__ import annotations

import pytest

from tests.browser.conftest import require_chromium


def test_a_missing_browser_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        require_chromium(str(tmp_path / "no-chromium"))


def test_a_missing_browser_skips_outside_ci(monkeypatch, tmp_path):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        require_chromium(str(tmp_path / "no-chromium"))


def test_a_present_browser_is_used(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    chromium = tmp_path / "chromium"
    chromium.write_text("")
    assert require_chromium(str(chromium)) is None
