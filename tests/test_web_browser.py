"""A real headless Chromium (Debian's, via Selenium) registers, withdraws, sees a promotion.

Screenshots of every participant page and the organiser page go to
``build/screenshots/`` (emptied at the start of the test). Without the
browser the test skips, saying why; under CI=true it fails instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the 'web' extra is not installed")

from webtools import TOKEN, running

from seatalloc import Group, Problem, Quota, Session

SHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ONE_SEAT = Problem(
    sessions=[Session("nov04", 1, label="4\u20135 November"), Session("nov25", 1)],
    groups=[Group("uppsala", label="Länsstyrelsen i Uppsala län")],
    quotas=[Quota(4, group="uppsala")],
    requests=[],
)


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for path in (CHROMIUM, DRIVER):
        if not os.access(path, os.X_OK):
            return (
                f"{path} is missing: run .ci/browser.sh (apt-get install chromium chromium-driver)"
            )
    return None


@pytest.fixture
def browser() -> Iterator[object]:
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser test must run in CI: {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--window-size=1000,1400", "--disable-gpu"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.implicitly_wait(10)  # a loaded machine may be slow to show the next page
    try:
        yield driver
    finally:
        driver.quit()


def test_two_register_one_waits_the_first_withdraws_the_second_is_promoted(
    browser: object, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver: object = browser
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)

    def shot(name: str) -> None:
        assert driver.save_screenshot(str(SHOTS / f"{name}.png"))  # type: ignore[attr-defined]

    def find(css: str) -> object:
        return driver.find_element(By.CSS_SELECTOR, css)  # type: ignore[attr-defined]

    def register(base: str, name: str, email: str) -> str:
        driver.get(f"{base}/register")  # type: ignore[attr-defined]
        find("#name").send_keys(name)  # type: ignore[attr-defined]
        find("#email").send_keys(email)  # type: ignore[attr-defined]
        Select(find("#group")).select_by_value("uppsala")
        Select(find("#role")).select_by_value("planner")
        Select(find("#choice1")).select_by_value("nov04")
        find("#submit").click()  # type: ignore[attr-defined]
        return find("#status-link").get_attribute("href")  # type: ignore[attr-defined, no-any-return]

    with running(tmp_path / "browser.db", ONE_SEAT) as (base, _):
        driver.get(f"{base}/?group=uppsala")  # type: ignore[attr-defined]
        assert find('td[data-session="nov04"]').text == "1"  # type: ignore[attr-defined]
        shot("1-sessions")
        driver.get(f"{base}/register")  # type: ignore[attr-defined]
        find("#submit").click()  # type: ignore[attr-defined]
        assert find("#email-error").text  # type: ignore[attr-defined]
        shot("2-register-errors")
        first = register(base, "Anna Andersson", "anna@example.org")
        assert find('[data-status="seated"]')
        shot("3-decision-seated")
        second = register(base, "Bo Berg", "bo@example.org")
        waiting = find('[data-status="waitlisted"]').text  # type: ignore[attr-defined]
        assert "nummer 1" in waiting
        shot("4-decision-waitlisted")
        driver.get(first)  # type: ignore[attr-defined]
        shot("5-status-seated")
        find("#withdraw").click()  # type: ignore[attr-defined]
        assert find('[data-status="withdrawn"]')
        shot("6-status-withdrawn")
        driver.get(second)  # type: ignore[attr-defined]
        assert find('[data-status="seated"]')
        assert "4\u20135 November" in find(".decision").text  # type: ignore[attr-defined]
        shot("7-status-promoted")
        driver.get(f"{base}/organiser")  # type: ignore[attr-defined]
        find("#token").send_keys(TOKEN)  # type: ignore[attr-defined]
        find("#login").click()  # type: ignore[attr-defined]
        roster = find("#roster-nov04").text  # type: ignore[attr-defined]
        assert roster.endswith("1 / 1")
        assert "bo@example.org" in driver.page_source  # type: ignore[attr-defined]
        shot("8-organiser")
    assert len(list(SHOTS.glob("*.png"))) == 8
