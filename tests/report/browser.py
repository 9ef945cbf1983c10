"""Open a report page in headless Chromium (Debian's chromium + chromium-driver, driven by selenium).

Nothing is downloaded: the browser and its driver must be installed (scripts/setup.sh installs them with
apt when it runs as root). If they are missing, the test fails and says how to install them.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
INSTALL = ("install Debian's Chromium and its driver: `apt-get install -y chromium chromium-driver` (scripts/setup.sh "
           "does this when run as root), and selenium (`pip install selenium`, in the [test] extra)")
ARTIFACTS = Path(os.environ.get("TTS_INTERP_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
AUDIO_TIMEOUT_S = 20.0

MEDIA_STATE = """return {
  audio: Array.from(document.querySelectorAll('audio')).map(a => ({src: a.currentSrc.slice(0, 120),
          ready: a.readyState, duration: a.duration, error: a.error ? a.error.code : null})),
  images: Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth}))};"""


def start_chromium() -> Any:
    """A headless Chromium session, or a test failure naming what is missing and how to install it."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail(f"selenium is not installed: {INSTALL}")
    browser = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.fail(f"headless Chromium is needed for this test but {'chromium' if browser is None else 'chromedriver'}"
                    f" is not on PATH: {INSTALL}")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--mute-audio",
                     "--window-size=1280,1600"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def load(driver: Any, page: Path) -> dict[str, Any]:
    """Open the page; wait until every <audio> has its metadata (or failed); return media state and console."""
    driver.get(Path(page).resolve().as_uri())
    deadline = time.monotonic() + AUDIO_TIMEOUT_S
    state = driver.execute_script(MEDIA_STATE)
    while time.monotonic() < deadline and any(a["ready"] < 1 and a["error"] is None for a in state["audio"]):
        time.sleep(0.1)
        state = driver.execute_script(MEDIA_STATE)
    state["console"] = driver.get_log("browser")
    return state


def column_values(driver: Any, header_text: str) -> list[str]:
    """The sort values (data-v) of a sortable table's column, top to bottom, after clicking its header."""
    from selenium.webdriver.common.by import By

    header = driver.find_element(By.XPATH, f"//table[contains(@class,'sortable')]//th[normalize-space()='{header_text}']")
    header.click()
    return driver.execute_script(
        "const th = arguments[0]; const col = Array.from(th.parentNode.children).indexOf(th);"
        "return Array.from(th.closest('table').tBodies[0].rows).map(r => r.children[col].dataset.v);", header)


def screenshot(driver: Any, name: str) -> Path:
    """A full-page PNG under the test artifacts folder."""
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(1600, min(max(height, 800), 12000))
    driver.execute_script("window.scrollTo(0, 0)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path


def first_screen(driver: Any, name: str) -> Path:
    """A PNG of what the window shows now (the first screen, at the window's size) under the test artifacts."""
    driver.execute_script("window.scrollTo(0, 0)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path
