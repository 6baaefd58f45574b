"""A staff login's pages at 390 px in Chromium (issue 19's books and filings pages): log in on
a phone-sized window, open each page, check it has a heading, is in the login's language and
fits without sideways scrolling, and keep a screenshot in artifacts/screens/."""
from __future__ import annotations

from tests.admin.test_browser import ARTIFACTS, click, fill
from tests.admin.test_design_browser import fits, viewport


def shoot_at_390(b, live: str, login: str, password: str, pages: tuple[tuple[str, str], ...],
                 prefix: str, lang: str = "bn") -> None:
    """pages: (name, path); the screenshot of each is `{prefix}-{name}-390.png`."""
    from selenium.webdriver.common.by import By
    screens = ARTIFACTS / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    viewport(b, 390, 844)
    b.get(live + "/login")
    fill(b, login=login, password=password)
    click(b, "submit")
    for name, path in pages:
        b.get(live + path)
        assert b.find_element(By.TAG_NAME, "h1").text, name
        assert b.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang, name
        fits(b, 390, name)
        b.save_screenshot(str(screens / f"{prefix}-{name}-390.png"))
