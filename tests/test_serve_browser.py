"""The subscribe, confirm and unsubscribe pages of a real `digest serve`, driven in Debian's headless Chromium
at 375 and 600 px, in English and in Ukrainian. Screenshots go to $DIGEST_ARTIFACTS/serve (default
artifacts/serve) for a person to look at; the assertions are about what a reader can do and see."""
from __future__ import annotations

import pytest
from mailserver import MailServer, free_port
from served import SECRET, Served, start, write_config
from test_browser import artifacts_folder, browser  # noqa: F401 - the Chromium fixture
from test_serve import confirm_link, confirmations, opted_out

from digest.readers import token

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = (375, 600)
LAYOUT = """() => {
  const button = document.querySelector('button'), box = button ? button.getBoundingClientRect() : null;
  return {overflow: document.documentElement.scrollWidth > window.innerWidth, button: box && {height: box.height, right: box.right},
          width: window.innerWidth, lang: document.documentElement.lang, dir: document.documentElement.dir,
          styled: getComputedStyle(document.querySelector('header')).backgroundColor};
}"""


@pytest.fixture(scope="module")
def mail() -> MailServer:
    server = MailServer().start()
    yield server
    server.stop()


def serve(tmp_path_factory: pytest.TempPathFactory, mail: MailServer, lang: str) -> Served:
    folder = tmp_path_factory.mktemp(f"serve-{lang}")
    port = free_port()
    config = write_config(folder, port, mail.port)
    text = config.read_text(encoding="utf-8").replace("newsletter:\n", f"newsletter:\n  lang: {lang}\n", 1)
    config.write_text(text, encoding="utf-8")
    return start(folder, config, port)


@pytest.fixture(scope="module", params=["en", "uk"])
def served(request, tmp_path_factory, mail: MailServer) -> Served:
    server = serve(tmp_path_factory, mail, request.param)
    server.lang = request.param  # type: ignore[attr-defined]
    yield server
    server.stop()


WORDS = {
    "en": {"subscribe": "Subscribe", "inbox": "Check your inbox", "confirm": "Confirm my subscription", "subscribed": "You are subscribed",
           "unsubscribe": "Unsubscribe", "unsubscribed": "You are unsubscribed"},
    "uk": {"subscribe": "Підписатися", "inbox": "Перевірте пошту", "confirm": "Підтвердити підписку", "subscribed": "Ви підписалися",
           "unsubscribe": "Відписатися", "unsubscribed": "Ви відписалися"},
}


@pytest.mark.parametrize("width", WIDTHS)
def test_the_whole_round_in_chromium(browser, served: Served, mail: MailServer, width: int) -> None:  # noqa: F811
    lang = served.lang  # type: ignore[attr-defined]
    words, shots = WORDS[lang], artifacts_folder("serve")
    context = browser.new_context(viewport={"width": width, "height": 800}, java_script_enabled=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if "Content Security Policy" in message.text else None)

    def look(name: str) -> dict:
        layout = page.evaluate(LAYOUT)
        assert not layout["overflow"], f"{name} scrolls sideways at {width} px"
        assert layout["lang"] == lang and layout["styled"] == "rgb(16, 40, 74)"  # the stylesheet applied under the CSP
        if layout["button"]:
            assert layout["button"]["height"] >= 44 and layout["button"]["right"] <= width
        page.screenshot(path=str(shots / f"{name}-{lang}-{width}px.png"), full_page=True)
        return layout

    address = f"reader-{lang}-{width}@example.org"
    page.goto(served.url + "/subscribe")
    look("subscribe")
    page.fill("#email", address)
    page.fill("#name", "Olena <b>Pchilka</b>")
    page.click("button[type=submit]")
    page.wait_for_selector(f"text={words['inbox']}")
    look("check-inbox")
    (message,) = confirmations(mail, address)
    page.goto(confirm_link(message))
    look("confirm")
    page.click(f"text={words['confirm']}")
    page.wait_for_selector(f"text={words['subscribed']}")
    look("confirmed")

    reader = address  # the reader just added: their own link from now on
    page.goto(f"{served.url}/unsubscribe/{token(reader, SECRET.encode())}")
    look("unsubscribe")
    assert reader not in opted_out(served)  # the page alone changes nothing
    page.click(f"button:has-text('{words['unsubscribe']}')")
    page.wait_for_selector(f"text={words['unsubscribed']}")
    look("unsubscribed")
    assert reader in opted_out(served)
    page.goto(served.url + "/nowhere")
    look("not-found")
    assert not problems, problems
    context.close()
