"""The review page in a real headless Chromium (Debian's chromium + chromium-driver, driven by Selenium)
against a real `supportbot review` server on loopback: label 3 pairs by keyboard, reload, resume, report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ..serve.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def _browser_or_skip():
    """A headless Chromium, or a skip (a failure where CI promised one: SUPPORTBOT_REQUIRE_BROWSER=1)."""
    missing = [n for n, p in (("chromium", CHROMIUM), ("chromedriver", DRIVER)) if p is None]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium (pip)")
    if missing:
        if os.environ.get("SUPPORTBOT_REQUIRE_BROWSER") == "1":
            pytest.fail(
                f"no browser for the review test: {', '.join(missing)} missing (apt-get install chromium chromium-driver)"
            )
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1200,900",
    ):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(DRIVER), options=options)


@pytest.fixture
def review_server(results_dir, tmp_path):
    """`supportbot review <results>` as a subprocess on a free loopback port."""
    port = free_port()
    log = tmp_path / "review.log"
    env = {k: v for k, v in os.environ.items() if k not in ("SUPPORTBOT_API_KEYS", "SUPPORTBOT_ADMIN_KEYS")}
    cmd = [
        sys.executable,
        "-m",
        "supportbot.cli",
        "review",
        str(results_dir),
        "--port",
        str(port),
        "--reviewer",
        "lead",
    ]
    with log.open("w") as fh:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"review server exited ({proc.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(10)


def _wait_text(driver, element_id: str, needle: str, timeout: float = 15.0) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: needle in d.find_element(By.ID, element_id).text)
    return driver.find_element(By.ID, element_id).text


def test_label_three_pairs_by_keyboard_reload_resume_and_read_the_report(review_server, results_dir):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = _browser_or_skip()
    try:
        driver.get(review_server + "/")
        assert _wait_text(driver, "progress", "0 of 4 labelled").endswith("reviewer lead")
        seen = []
        body = driver.find_element(By.TAG_NAME, "body")
        for i, key in enumerate(["a", "b", "t"]):
            _wait_text(driver, "progress", f"item {i + 1} of 4")
            seen.append(driver.find_element(By.ID, "item-id").text)
            if i == 1:  # a note typed in the page travels with the verdict
                body.send_keys("n")  # the note field, by keyboard; Esc leaves it
                driver.switch_to.active_element.send_keys("B names the right menu", Keys.ESCAPE)
            body.send_keys(key)
            _wait_text(driver, "progress", f"{i + 1} of 4 labelled")
        driver.refresh()
        progress = _wait_text(driver, "progress", "3 of 4 labelled")
        assert "item 4 of 4" in progress  # resumed at the first item not labelled yet
        assert driver.find_element(By.ID, "item-id").text not in seen
        driver.get(review_server + "/report")
        summary = _wait_text(driver, "summary", "Cohen's kappa")
        assert "labels: 3 on 3 of 4 items, by lead" in summary
        assert "human vs human: no item rated by two reviewers yet" in summary  # one reviewer: no ceiling
        rows = driver.find_elements(By.CSS_SELECTOR, "#labels tr")[1:]
        assert [r.find_elements(By.TAG_NAME, "td")[0].text for r in rows] == seen
    finally:
        driver.quit()
    labels = [json.loads(x) for x in (results_dir / "human.jsonl").read_text().splitlines()]
    assert [(lb["id"], lb["choice"], lb["reviewer"]) for lb in labels] == [
        (seen[0], "A", "lead"),
        (seen[1], "B", "lead"),
        (seen[2], "tie", "lead"),
    ]
    assert labels[1]["note"] == "B names the right menu" and all(lb["time"] for lb in labels)
    report = (results_dir / "report.md").read_text()
    assert "3 verdict(s) on 3 of 4 items by lead" in report and "Cohen's kappa" in report


def test_review_api_follows_the_serve_key_rules(results_dir, tmp_path):
    """With keys configured, /api needs one (the page itself is open)."""
    port = free_port()
    env = {**os.environ, "SUPPORTBOT_API_KEYS": "sk-review-key-0123456789"}
    cmd = [sys.executable, "-m", "supportbot.cli", "review", str(results_dir), "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        assert httpx.get(f"{url}/").status_code == 200
        assert httpx.get(f"{url}/api/state").status_code == 401
        ok = httpx.get(f"{url}/api/state", headers={"Authorization": "Bearer sk-review-key-0123456789"})
        assert ok.status_code == 200 and ok.json()["total"] == 4
        bad = httpx.post(
            f"{url}/api/labels",
            json={"id": "q001", "choice": "C"},
            headers={"Authorization": "Bearer sk-review-key-0123456789"},
        )
        assert bad.status_code == 422
    finally:
        proc.terminate()
        proc.wait(10)


def test_without_keys_a_foreign_host_is_refused(review_server):
    """No keys: loopback only, and a loopback client naming a foreign Host (DNS rebinding) gets 403."""
    assert httpx.get(f"{review_server}/api/state").status_code == 200
    assert httpx.get(f"{review_server}/api/state", headers={"Host": "evil.example"}).status_code == 403
