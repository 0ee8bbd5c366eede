"""The CNN page's parameters, each declared once, its tasks, and their configs."""

from engine.cnn import (
    PADDINGS,
    POOLS,
    TINY,
    TINY_AUGMENT,
    TINY_TRANSFER,
    TINY_VERSUS,
    AugmentConfig,
    CNNConfig,
    TransferConfig,
    VersusConfig,
    run_augment,
    run_train,
    run_transfer,
    run_versus,
)
from engine.conv_arithmetic import PADDINGS as ARITHMETIC_PADDINGS
from engine.conv_arithmetic import ArithmeticConfig
from engine.images import KERNELS
from ui.params import Choice, ChoiceList, Number
from ui.topics import DemoTask

SOURCES = {"test": "a test image", "draw": "draw one", "upload": "upload one"}
STAGES = {"conv": "after the convolution", "relu": "after ReLU", "pool": "after pooling"}
FILTERS = (2, 4, 8, 16, 32)
KERNEL_SIZES = (1, 3, 5, 7)
LRS = (0.0003, 0.001, 0.002, 0.003, 0.01, 0.03, 0.1)
DIGITS = tuple(str(d) for d in range(10))


def _g(v) -> str:
    return f"{v:g}"


PARAMS = {
    # Train live
    "layers": Number("Conv layers", 2, 1, 4, integer=True),
    "filters": Number("Filters in the first layer (each later layer doubles them)", 8, 2, 32, integer=True,
                      allowed=FILTERS),
    "kernel": Number("Kernel size", 5, 1, 7, integer=True, allowed=KERNEL_SIZES),
    "stride": Number("Stride", 1, 1, 2, integer=True),
    "padding": Choice("Padding", "same", tuple(PADDINGS), display=PADDINGS.get),
    "pool": Choice("Pooling (2 × 2, stride 2)", "max", tuple(POOLS), display=POOLS.get),
    "steps": Number("Steps (32 images each)", 800, 50, 3000, step=50, integer=True),
    "lr": Number("Learning rate (Adam)", 0.001, 0.0003, 0.1, allowed=LRS, display=_g),
    "seed": Number("Seed", 0, 0, 9999, integer=True, box=True),
    # Look inside
    "src": Choice("Image", "test", tuple(SOURCES), display=SOURCES.get),
    "digit": Choice("Digit", "7", DIGITS),
    "nth": Number("Which one of that digit's 100 test images", 1, 1, 100, integer=True),
    "stage": Choice("Feature maps", "relu", tuple(STAGES), display=STAGES.get),
    # Hand-made filters
    "kernels": ChoiceList("Hand-made kernels", ("sobel_x", "sobel_y", "laplacian", "box"), tuple(KERNELS),
                          min_items=1, max_items=len(KERNELS), display=lambda k: KERNELS[k][0]),
    # Image representation
    "px_row": Number("Patch row", 20, 0, 44, integer=True),
    "px_col": Number("Patch column", 20, 0, 44, integer=True),
    # Convolution arithmetic
    "ar_size": Number("Input size n", 28, 1, 64, integer=True),
    "ar_channels": Number("Input channels", 1, 1, 4, integer=True),
    "ar_filters": Number("Filters (output channels)", 8, 1, 64, integer=True),
    "ar_kernel": Number("Kernel k", 3, 1, 11, integer=True),
    "ar_stride": Number("Stride s", 1, 1, 4, integer=True),
    "ar_padding": Choice("Padding", "same", tuple(ARITHMETIC_PADDINGS), display=ARITHMETIC_PADDINGS.get),
    "ar_pad": Number("Pixels each side (when padding is a number)", 1, 0, 5, integer=True),
    "ar_dilation": Number("Dilation d", 1, 1, 4, integer=True),
    "ar_pool": Choice("Then pooling", "max", tuple(POOLS), display=POOLS.get),
    "ar_pool_size": Number("Pooling window = stride", 2, 1, 4, integer=True),
    "ar_row": Number("Output row", 12, 1, 64, integer=True),
    "ar_col": Number("Output column", 15, 1, 64, integer=True),
    # CNN against dense
    "vs_hidden": Number("Dense network: units in each of its two hidden layers", 128, 16, 1024, integer=True,
                        allowed=(16, 32, 64, 128, 256, 512, 1024)),
    "vs_steps": Number("Steps for each network", 600, 50, 3000, step=50, integer=True),
    "vs_shift": Number("Shift the test images by (pixels)", 2, 0, 8, integer=True),
    # Transfer learning
    "tl_pre": Number("Pretraining steps on 0-4", 400, 50, 2000, step=50, integer=True),
    "tl_shots": Number("Training images of each digit 5-9", 10, 1, 200, integer=True),
    "tl_steps": Number("Steps for each of the three ways", 150, 10, 1000, step=10, integer=True),
    "tl_fine_lr": Number("Fine-tuning learning rate", 0.001, 0.0003, 0.01, allowed=LRS[:5], display=_g),
    # Data augmentation
    "aug_size": Number("Training images", 300, 50, 4000, step=50, integer=True),
    "aug_steps": Number("Steps for each network", 400, 50, 2000, step=50, integer=True),
    "aug_shift": Number("Largest shift (pixels)", 3, 0, 6, integer=True),
    "aug_rot": Number("Largest rotation (degrees)", 15, 0, 45, step=5, integer=True),
    "aug_noise": Number("Noise (standard deviation, 0-1 pixel scale)", 0.1, 0.0, 0.5, step=0.05),
}


def cnn_config(values: dict) -> CNNConfig:
    return CNNConfig(layers=values["layers"], filters=values["filters"], kernel=values["kernel"],
                     stride=values["stride"], padding=values["padding"], pool=values["pool"], steps=values["steps"],
                     lr=values["lr"], seed=int(values["seed"]))


def arithmetic_config(values: dict) -> ArithmeticConfig:
    return ArithmeticConfig(size=values["ar_size"], channels=values["ar_channels"], filters=values["ar_filters"],
                            kernel=values["ar_kernel"], stride=values["ar_stride"], padding=values["ar_padding"],
                            explicit=values["ar_pad"], dilation=values["ar_dilation"], pool=values["ar_pool"],
                            pool_size=values["ar_pool_size"])


def versus_config(values: dict) -> VersusConfig:
    cnn = cnn_config(values)
    return VersusConfig(cnn=CNNConfig(layers=cnn.layers, filters=cnn.filters, kernel=cnn.kernel, stride=cnn.stride,
                                      padding=cnn.padding, pool=cnn.pool, steps=values["vs_steps"], lr=cnn.lr),
                        hidden=values["vs_hidden"], shift=values["vs_shift"], seed=int(values["seed"]))


def transfer_config(values: dict) -> TransferConfig:
    return TransferConfig(pretrain_steps=values["tl_pre"], shots=values["tl_shots"], steps=values["tl_steps"],
                          fine_lr=values["tl_fine_lr"])


def augment_config(values: dict) -> AugmentConfig:
    return AugmentConfig(train_size=values["aug_size"], steps=values["aug_steps"], shift=values["aug_shift"],
                         rotation=float(values["aug_rot"]), noise=values["aug_noise"])


TASKS = (
    DemoTask(run_train, cnn_config, TINY),
    DemoTask(run_versus, versus_config, TINY_VERSUS),
    DemoTask(run_transfer, transfer_config, TINY_TRANSFER),
    DemoTask(run_augment, augment_config, TINY_AUGMENT),
)
