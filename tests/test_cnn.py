import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine import cnn
from engine.conv_arithmetic import measured_field
from engine.images import KERNELS, digits, to_tensor
from jobs import check_result

SMALL = cnn.CNNConfig(steps=30, test_images=100)


@pytest.fixture(scope="module")
def trained():
    return cnn.run_train(SMALL)


def test_a_tiny_run_trains_end_to_end_and_returns_plain_data(trained):
    assert trained.status == "finished" and trained.steps_done == 30
    assert list(trained.history["step"]) == [1, 30]
    assert trained.history["test_loss"].iloc[-1] < trained.history["test_loss"].iloc[0]
    assert trained.accuracy > 0.3 and trained.confusion.sum() == 100
    assert check_result(trained) < 2**20
    again = cnn.run_train(SMALL)  # a fixed seed gives the same run (on a GPU, to the last bit or so)
    np.testing.assert_allclose(again.history["batch_loss"], trained.history["batch_loss"], rtol=1e-6)


def test_the_feature_maps_have_the_shapes_the_architecture_says(trained):
    inside = cnn.look_inside(trained.config, trained.weights, digits().X_test[0])
    assert len(inside.maps) == 2
    for maps, c, (conv, pooled) in zip(inside.maps, cnn.channels(SMALL), cnn.layer_sizes(SMALL), strict=True):
        assert maps["conv"].shape == maps["relu"].shape == (c, conv, conv)
        assert maps["pool"].shape == (c, pooled, pooled)
        np.testing.assert_array_equal(maps["relu"], np.maximum(maps["conv"], 0))
    assert inside.probabilities.shape == (10,) and inside.probabilities.sum() == pytest.approx(1, abs=1e-6)
    assert cnn.filters(trained.weights, 1).shape == (16, 8, 5, 5)


def test_looking_inside_uses_the_trained_weights_and_agrees_with_the_network(trained):
    net = cnn.from_arrays(trained.config, trained.weights)
    x = to_tensor(digits().X_test[:5])
    inside = [cnn.look_inside(trained.config, trained.weights, d) for d in digits().X_test[:5]]
    with torch.no_grad():
        expected = F.softmax(net(x), dim=1).numpy()
    np.testing.assert_allclose(np.stack([i.probabilities for i in inside]), expected, atol=1e-6)


@pytest.mark.parametrize("config", [
    cnn.CNNConfig(), cnn.CNNConfig(layers=1, kernel=3, padding="valid"), cnn.CNNConfig(layers=2, stride=2),
    cnn.CNNConfig(layers=4, kernel=7, pool="avg"), cnn.CNNConfig(layers=3, pool="none", kernel=1, filters=2),
    cnn.CNNConfig(layers=2, kernel=7, padding="valid", stride=2, pool="none"),
])
def test_layer_sizes_and_parameter_counts_match_the_built_network(config):
    net = cnn.DigitCNN(config)
    stages = net.stages(torch.zeros(2, 1, 28, 28))
    for stage, (conv, pooled) in zip(stages, cnn.layer_sizes(config), strict=True):
        assert stage["conv"].shape[-1] == conv and stage["pool"].shape[-1] == pooled
    c_in, expected = 1, 0
    for c in cnn.channels(config):
        expected += c * (c_in * config.kernel ** 2 + 1)
        c_in = c
    expected += (net.flat + 1) * 10
    assert cnn.count(net) == expected
    assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_the_default_network_has_the_parameters_the_page_shows():
    """conv 8·(5·5·1 + 1) = 208, conv 16·(5·5·8 + 1) = 3,216, dense (16·7·7 + 1)·10 = 7,850."""
    assert cnn.count(cnn.DigitCNN(cnn.CNNConfig())) == 208 + 3216 + 7850 == 11274


def test_the_shown_code_builds_the_same_network():
    config = cnn.CNNConfig(layers=3, filters=4, kernel=3, pool="avg")
    scope = {}
    exec(cnn.train_code(config).split("optimizer =")[0], scope)  # the imports, the seed and net = ...
    assert cnn.count(scope["net"]) == cnn.count(cnn.DigitCNN(config))


@pytest.mark.parametrize("config, sentence", [
    (cnn.CNNConfig(layers=4, kernel=7, padding="valid"), "shrink to nothing in conv layer 3"),
    (cnn.CNNConfig(layers=4, stride=2), "shrink to nothing"),
    (cnn.CNNConfig(kernel=4), "odd kernel"),
    (cnn.CNNConfig(lr=float("nan")), "learning rate"),
])
def test_settings_that_cannot_run_get_a_sentence(config, sentence):
    with pytest.raises(ValueError, match=sentence):
        cnn.run_train(config)


def test_a_learning_rate_far_too_large_gets_a_sentence_not_a_silent_failure():
    result = cnn.run_train(cnn.CNNConfig(lr=0.1, steps=60, test_images=100))
    assert result.learned_nothing and "learned nothing" in result.message and "smaller" in result.message


def test_the_receptive_fields_of_the_default_network_by_hand_and_by_autograd():
    """5 × 5 conv: 5; 2 × 2 pool: 6, jump 2; 5 × 5 conv: 6 + 4·2 = 14; pool: 14 + 1·2 = 16."""
    config = cnn.CNNConfig(pool="avg")  # average pooling passes a gradient to every pixel of its window
    assert [f.size for f in cnn.cnn_fields(config)] == [5, 6, 14, 16]
    net = cnn.DigitCNN(config)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.rand_like(p) + 0.1)  # positive weights and inputs keep every ReLU open
    assert measured_field(nn.Sequential(*net.blocks), 28) == (16, 16)
    boxes = cnn.field_boxes(config)
    assert [n for _, _, _, n in boxes] == [28, 14, 14, 7]
    assert boxes[-1][2] == 1.5 + 4 * 3  # unit 0 of pool 2 averages pool 1's units centred at 0.5 and 2.5
    x = torch.rand(1, 1, 28, 28, dtype=torch.float64, requires_grad=True)
    nn.Sequential(*net.blocks).double()(x)[0, 0, 3, 3].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(1)).flatten()
    assert (rows.min() + rows.max()).item() / 2 == boxes[-1][2] and rows.max() - rows.min() + 1 == 16


def test_one_filter_spans_all_three_channels_and_makes_one_map():
    image = np.random.default_rng(0).integers(0, 256, (10, 12, 3)).astype(np.uint8)
    demo = cnn.channel_demo(image)
    assert demo.weight_shape == (2, 3, 3, 3) and demo.parameters == 2 * 3 * 3 * 3 + 2
    assert demo.maps.shape == (2, 10, 12) and demo.partial.shape == (2, 3, 10, 12)
    np.testing.assert_allclose(demo.maps, demo.torch_maps, atol=1e-12)
    x = torch.as_tensor(image / 255.0).permute(2, 0, 1)[None]
    reference = F.conv2d(x, torch.as_tensor(demo.kernels), padding=1)[0].numpy()
    np.testing.assert_allclose(demo.maps, reference, atol=1e-12)
    red_minus_blue = image[..., 0] / 255.0 - image[..., 2] / 255.0
    np.testing.assert_allclose(demo.maps[1], red_minus_blue, atol=1e-12)


def test_the_classic_architectures_have_their_published_parameter_counts():
    """torchvision's documented counts for AlexNet, VGG-16 and ResNet-18; LeNet-5 and Inception 3a by hand."""
    table = cnn.classic_table().set_index("architecture")
    lenet = (6 * 25 + 6) + (16 * 6 * 25 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)
    inception = (192 * 64 + 64) + (192 * 96 + 96) + (96 * 9 * 128 + 128) + (192 * 16 + 16) + (16 * 25 * 32 + 32) \
        + (192 * 32 + 32)
    expected = {"LeNet-5": lenet, "AlexNet": 61_100_840, "VGG-16": 138_357_544, "Inception module 3a": inception,
                "ResNet-18": 11_689_512}
    assert table["parameters"].to_dict() == expected
    assert lenet == 61_706 and inception == 163_696
    assert table.loc["VGG-16", "in dense layers"] == 25088 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000
    assert table.loc["Inception module 3a", "output"] == "256×28×28"  # 64 + 128 + 32 + 32 channels side by side
    assert table.loc["ResNet-18", "output"] == "1000"


def test_the_dense_network_and_the_shift():
    assert cnn.count(cnn.DenseNet(128)) == (784 * 128 + 128) + (128 * 128 + 128) + (128 * 10 + 10)
    x = torch.arange(2 * 28 * 28, dtype=torch.float32).reshape(2, 1, 28, 28)
    moved = cnn.shifted(x, 3, -1.0)
    torch.testing.assert_close(moved[..., 3:, 3:], x[..., :25, :25])
    assert (moved[..., :3, :] == -1).all() and (moved[..., :, :3] == -1).all()


def test_the_comparison_trains_both_on_the_same_data_and_reports_their_parameters():
    config = cnn.VersusConfig(cnn=cnn.CNNConfig(steps=20, test_images=100), hidden=32, shift=2)
    result = cnn.run_versus(config)
    assert result.status == "finished" and list(result.scores["model"]) == ["CNN", "dense"]
    assert list(result.scores["parameters"]) == [11274, cnn.count(cnn.DenseNet(32))]
    assert set(result.history["model"]) == {"CNN", "dense"} and result.history["step"].max() == 40
    assert check_result(result) < 2**20


def test_transfer_learning_freezes_the_pretrained_conv_layers_for_feature_extraction():
    config = cnn.TransferConfig(pretrain_steps=20, shots=3, steps=10, test_images=200)
    result = cnn.run_transfer(config)
    assert result.status == "finished" and result.history["step"].max() == 20 + 3 * 10
    trained = dict(zip(result.finals["run"], result.finals["trained parameters"], strict=True))
    head = 16 * 7 * 7 * 5 + 5
    assert trained[cnn.TRANSFER_RUNS["frozen"]] == head
    assert trained[cnn.TRANSFER_RUNS["finetune"]] == trained[cnn.TRANSFER_RUNS["scratch"]] == 208 + 3216 + head
    pretrained = cnn.build(cnn.TRANSFER_CNN, classes=5)
    frozen = cnn._adapted("frozen", pretrained, config, torch.device("cpu"))
    for a, b in zip(frozen.blocks.parameters(), pretrained.blocks.parameters(), strict=True):
        assert torch.equal(a, b) and not a.requires_grad


def test_augmentation_with_nothing_to_do_leaves_the_images_alone_and_keeps_the_background():
    data = digits()
    x = to_tensor(data.X_train[:4], data)
    background = -data.mean / data.std
    same = cnn.augment(x, 0, 0, 0, background, data.std, torch.Generator().manual_seed(0))
    torch.testing.assert_close(same, x, atol=1e-5, rtol=0)
    moved = cnn.augment(x, 3, 15, 0, background, data.std, torch.Generator().manual_seed(0))
    assert not torch.allclose(moved, x)
    assert moved[..., 0, 0].sub(background).abs().max() < 1e-5  # the corners stay black paper
    samples = cnn.augmentation_samples(cnn.AugmentConfig())
    assert samples.shape == (8, 28, 28) and samples.dtype == np.uint8
    np.testing.assert_array_equal(samples[0], data.X_train[0])


def test_augmentation_runs_two_networks_on_the_same_few_images():
    result = cnn.run_augment(cnn.AugmentConfig(train_size=50, steps=10, test_images=100))
    assert result.status == "finished" and list(result.finals["run"]) == list(cnn.AUGMENT_RUNS.values())
    assert "5 of each digit" in result.message


def test_a_learned_filter_is_matched_with_the_hand_made_kernel_it_copies():
    sobel = np.pad(KERNELS["sobel_x"][1], 1)  # a 5 × 5 filter with a Sobel kernel in its centre
    spot = np.full((5, 5), 0.04)
    spot[2, 2] = -1.0  # a centre against its surround: the Laplacian's pattern
    hand_made = {k: v[1] for k, v in KERNELS.items() if k != "sharpen"}
    matches = cnn.kernel_matches(np.stack([sobel, -sobel, spot]), hand_made)
    assert list(matches["most like"][:2]) == ["sobel_x", "sobel_x"]
    assert matches["cosine"][0] == pytest.approx(1) and matches["cosine"][1] == pytest.approx(-1)
    assert matches["most like"][2] == "laplacian"


def test_the_numbers_the_lesson_states_are_the_engines():
    from engine.conv_arithmetic import conv_parameters, output_size
    from lessons import load_all

    lesson = next(lesson for lesson in load_all() if lesson.id == "cnn")
    text = " ".join(q.short_answer + q.deep_answer + " ".join(t.look_for for t in q.try_it)
                    for q in lesson.questions)
    counts = {
        "11,274": cnn.network_parameters(), "118,282": cnn.count(cnn.DenseNet(128)),
        "100{,}480": 784 * 128 + 128, "1{,}792": conv_parameters(3, 64, 3), "7{,}850": 784 * 10 + 10,
        "61,100,840": cnn.classic_parameters("AlexNet"), "138,357,544": cnn.classic_parameters("VGG-16"),
        "123,642,856": cnn.classic_parameters("VGG-16", "in dense layers"),
        "11,689,512": cnn.classic_parameters("ResNet-18"), "163,696": cnn.classic_parameters("Inception module 3a"),
        "125,450": cnn.network_parameters(pool="none") - 208 - 3216,
        "62,730": cnn.network_parameters(layers=1, pool="none") - 208,
    }
    for shown, value in counts.items():
        assert shown in text and int(shown.replace("{,}", "").replace(",", "")) == value, shown
    assert output_size(28, 5) == 24 and output_size(224, 7, 2, 3) == 112 and output_size(7, 2, 2) == 3
    assert [f.size for f in cnn.cnn_fields(cnn.CNNConfig(layers=3, kernel=3))] == [3, 4, 8, 10, 18, 22]
    assert "3, 4, 8, 10, 18, 22" in text and "5 (conv), 6 (pool), 14 (conv), 16 (pool)" in text
    data = digits()
    assert f"mean {data.mean:.4f}, standard deviation {data.std:.4f}" in text
