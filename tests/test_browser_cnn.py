"""End to end on the CNN page: train, then draw a digit on the canvas and upload images, in headless Chromium."""

import io
import re

import numpy as np
import pytest
from PIL import Image

from bench.app_server import wait_for_app
from tests.test_browser import SHOTS, app_url, assert_no_exception, page, wait_for_text  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
QUERY = "steps=150&filters=4"  # a quick network, trained on opening


def open_trained(page, app_url, extra: str = "") -> None:  # noqa: F811
    page.goto(f"{app_url}/cnn?{QUERY}{extra}")
    wait_for_app(page)
    wait_for_text(page, "Trained on", "cnn-trained")
    wait_for_text(page, "The network says", "cnn-inside")
    assert_no_exception(page)


def choose(page, label: str, option: str) -> None:  # noqa: F811
    """Pick an option of the select box with this label (again, if a rerun closed the list before the click)."""
    for attempt in range(3):
        page.get_by_label(label, exact=True).first.click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
            return
        except Exception:
            if attempt == 2:
                raise
            page.wait_for_timeout(1000)


def verdict(page) -> str:  # noqa: F811
    return re.search(r"The network says (\d)", page.inner_text("body")).group(1)


def test_drawing_a_digit_on_the_canvas_gives_a_prediction(page, app_url):  # noqa: F811
    open_trained(page, app_url)
    choose(page, "Image", "draw one")
    wait_for_text(page, "Draw a digit on the canvas", "cnn-canvas")
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=30_000)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, top = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.25  # below the toolbar that shows on hover
    page.mouse.move(x, top)
    page.mouse.down()
    page.mouse.move(x - 5, box["y"] + box["height"] * 0.85, steps=25)  # a "1": one stroke down
    page.mouse.up()
    page.wait_for_function("!document.body.innerText.includes('Draw a digit on the canvas')", timeout=60_000)
    wait_for_text(page, "The network says", "cnn-drawn")
    assert_no_exception(page)
    assert verdict(page) in "0123456789"
    page.set_viewport_size({"width": 1400, "height": 2600})
    page.screenshot(path=SHOTS / "cnn-drawn.png")
    page.set_viewport_size({"width": 1400, "height": 1000})


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def test_an_uploaded_image_is_shown_as_the_model_sees_it_and_a_non_image_gets_a_sentence(page, app_url):  # noqa: F811
    open_trained(page, app_url)
    choose(page, "Image", "upload one")
    paper = np.full((300, 500), 255, np.uint8)  # a wide photo of a dark "1" on white paper
    paper[40:260, 230:265] = 0
    uploader = page.locator("[data-testid=stFileUploader] input[type=file]").first
    uploader.set_input_files({"name": "one.png", "mimeType": "image/png", "buffer": png(paper)})
    wait_for_text(page, "PNG, 500 × 300", "cnn-upload")
    wait_for_text(page, "The network says", "cnn-upload-verdict")
    assert "inverted to light ink on black" in page.inner_text("body")
    assert_no_exception(page)
    uploader.set_input_files({"name": "notes.png", "mimeType": "image/png", "buffer": b"these are not pixels"})
    wait_for_text(page, "not an image this app can read", "cnn-upload-refused")
    assert_no_exception(page)


def test_the_whole_page_draws_in_the_browser(page, app_url):  # noqa: F811
    open_trained(page, app_url, "&ar_row=12&ar_col=14")
    for text in ("Convolution arithmetic", "Receptive field", "Classic architectures", "Data augmentation"):
        wait_for_text(page, text, "cnn-sections")
    assert_no_exception(page)
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 100, 16000)})
    page.wait_for_timeout(1500)
    page.screenshot(path=SHOTS / "cnn.png")
    page.set_viewport_size({"width": 1400, "height": 1000})
