"""The Backpropagation page in AppTest: the step-by-step tables follow the number boxes, the instant views draw,
bad settings get a sentence, and a training section trains and shows its code."""

from tests.test_pages import charts, no_exception, open_page, settle

PAGE = "app_pages/backpropagation.py"


def gradients(at):
    return next(d.value for d in at.dataframe if "finite difference" in d.value.columns).set_index("parameter")


def test_the_step_by_step_tables_are_drawn_and_agree_with_autograd():
    at = open_page(PAGE)
    no_exception(at)
    g = gradients(at)
    assert (abs(g["by hand"] - g["autograd"]) < 1e-6).all()
    assert (abs(g["by hand"] - g["finite difference"]) < 1e-6).all()
    assert any("Largest difference from autograd" in c.value for c in at.caption)
    keys = [c.proto.id for c in charts(at)]
    for key in ("fig_bp_network", "fig_bp_loss_gradient", "fig_bp_loss_surface", "fig_bp_glorot", "fig_bp_grad_depth"):
        assert any(key in k for k in keys), key


def test_editing_a_weight_box_recomputes_the_gradients():
    at = open_page(PAGE)
    before = gradients(at).loc["w1", "by hand"]
    at.number_input(key="bp_w5").set_value(2.0).run()
    no_exception(at)
    after = gradients(at)
    assert after.loc["w5", "value"] == 2.0 and after.loc["w1", "by hand"] != before
    assert at.query_params["w5"] == "2"  # the address bar follows


def test_a_preset_link_sets_cross_entropy_and_the_output_delta_is_o_minus_y():
    at = open_page(PAGE, {"loss": "cross_entropy", "y": "0", "b3": "3"})
    no_exception(at)
    forward = next(d.value for d in at.dataframe if "quantity" in d.value.columns).set_index("quantity")
    assert abs(gradients(at).loc["b3", "by hand"] - forward.loc["o", "value"]) < 1e-5


def test_a_link_that_sets_the_initialization_trains_that_section_alone_and_shows_identical_units():
    at = open_page(PAGE, {"scheme": "constant", "depth": "3", "in_steps": "30"})
    at = settle(at, lambda a: no_exception(a) and any("units with different incoming weights" in c.value
                                                      for c in a.caption))
    assert any("1, 1, 1 (of 32 each)" in c.value for c in at.caption)
    assert any("nn.init.constant_" in c.value for c in at.code)
    slots = ("bp_loss_train", "bp_init", "bp_he", "bp_remedies")
    trained = {slot for slot in slots if f"{slot}_job" in at.session_state}
    assert trained == {"bp_init"}  # the sections the link did not set wait for a click
