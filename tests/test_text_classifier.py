"""The text classifier: its data split, its TF-IDF features against scikit-learn, its model read back, its failures."""

import numpy as np
import pytest
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from torch import nn

from engine import text_classifier as tc
from engine.text_classifier import TINY_CLASSIFIER, ClassifierConfig, run_classifier


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """As in a worker: one thread, so a busy two-core machine does not slow these tiny models down."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def logistic():
    return run_classifier(ClassifierConfig())


@pytest.fixture(scope="module")
def mlp():
    return run_classifier(ClassifierConfig(model="mlp", steps=60, width=8))


def test_the_reviews_are_balanced_pairs_with_negations_on_both_sides():
    data = tc.reviews()
    assert len(data) == 200 and (data["label"] == "positive").sum() == 100
    negated = data[data["text"].str.contains(r"\bnot\b", case=False)]
    assert set(negated["label"]) == {"positive", "negative"}


def test_the_split_holds_out_whole_pairs_and_the_same_share_of_each_class():
    train, test = tc.split(ClassifierConfig(), torch.Generator().manual_seed(0))
    assert len(train) == 150 and len(test) == 50 and (test["label"] == "positive").sum() == 25
    assert not set(train["text"]) & set(test["text"])
    data = tc.reviews()
    pair = dict(zip(data["text"], data.groupby("label").cumcount(), strict=True))
    assert {pair[t] for t in test["text"][test["label"] == "positive"]} == \
           {pair[t] for t in test["text"][test["label"] == "negative"]}


def test_the_features_are_tfidfvectorizer_fitted_on_the_training_rows_only(logistic):
    train, test = tc.split(logistic.config, torch.Generator().manual_seed(logistic.config.seed))
    reference = TfidfVectorizer().fit(train["text"])
    assert logistic.terms == reference.get_feature_names_out().tolist()
    np.testing.assert_allclose(logistic.idf, reference.idf_, atol=1e-9)
    from engine import tfidf
    ours = tfidf.vectorize(test["text"].tolist(), logistic.terms, logistic.idf, logistic.features)
    np.testing.assert_allclose(ours, reference.transform(test["text"]).toarray(), atol=1e-9)


def test_the_default_model_learns_the_training_rows_and_beats_chance_on_held_out_pairs(logistic):
    assert logistic.status == "finished" and logistic.steps_done == 200
    assert logistic.train_acc == 1.0 and logistic.test_acc >= 0.7
    assert list(logistic.history.columns) == ["step", "batch_loss", "train_loss", "test_loss", "train_acc",
                                              "test_acc"]
    assert len(logistic.mistakes) == round((1 - logistic.test_acc) * logistic.n_test)
    assert logistic.cacheable


def _torch_net(result) -> nn.Sequential:
    layers = []
    for w, b in result.layers:
        linear = nn.Linear(w.shape[1], w.shape[0]).double()
        linear.weight.data, linear.bias.data = torch.tensor(w), torch.tensor(b)
        layers += [linear, nn.ReLU()]
    return nn.Sequential(*layers[:-1])


@pytest.mark.parametrize("which", ["logistic", "mlp"])
def test_predict_is_the_networks_softmax_on_the_tfidf_row(which, request):
    result = request.getfixturevalue(which)
    texts = ["Great food and friendly staff.", "Awful, slow and rude.", "zebra"]
    X = torch.tensor(TfidfVectorizer().fit(tc.split(result.config, torch.Generator().manual_seed(0))[0]["text"])
                     .transform(texts).toarray())
    expected = torch.softmax(_torch_net(result)(X), 1)[:, 1].detach().numpy()
    np.testing.assert_allclose(tc.predict(result, texts), expected, atol=1e-9)


def test_a_logistic_models_term_score_is_its_weight_difference(logistic):
    (w, _), = logistic.layers
    np.testing.assert_allclose(tc.term_scores(logistic), w[1] - w[0], atol=1e-9)
    top = logistic.top_terms
    positive = top[top["class"] == "positive"]["score"].to_numpy()
    assert (positive > 0).all() and (np.diff(positive) <= 0).all()
    assert (top[top["class"] == "negative"]["score"] < 0).all()


def test_pairs_with_the_same_words_get_the_same_vector_and_the_same_prediction(logistic, mlp):
    for result in (logistic, mlp):
        failures = result.failures
        order = failures[failures["shows"] == "order"]
        assert order["same vector as"].tolist() == ["example 2", "example 1", "example 4", "example 3"]
        p = order["P(positive)"].to_numpy()
        assert p[0] == p[1] and p[2] == p[3]
        meaning = failures[failures["shows"] == "meaning"]
        assert meaning["terms never seen in training"].tolist() == ["evening, stellar", "evening, abysmal"]
        assert meaning["P(positive)"].nunique() == 1


def test_the_negation_and_sarcasm_examples_fool_the_default_model(logistic):
    failures = logistic.failures.set_index("text")
    assert failures.loc["The staff were not rude.", "P(positive)"] < 0.5  # means positive
    assert failures.loc["The screen is not sharp.", "P(positive)"] > 0.5  # means negative
    assert failures.loc["Just perfect, the battery died again.", "P(positive)"] > 0.5


def test_bigrams_give_not_good_a_column_and_stop_words_erase_not():
    words = run_classifier(ClassifierConfig(ngrams=2, steps=2))
    assert "not good" in words.terms and "not bad" in words.terms
    assert "not" not in run_classifier(ClassifierConfig(stop_words=True, steps=2)).terms


def test_the_tiny_config_trains_and_stop_and_deadline_give_partial_results():
    assert run_classifier(TINY_CLASSIFIER).steps_done == 2
    stopped = run_classifier(ClassifierConfig(steps=500), should_stop=lambda: True)
    assert stopped.status == "cancelled" and stopped.steps_done == 0
    late = run_classifier(ClassifierConfig(steps=500), deadline=0.0)
    assert late.status == "out of time" and not late.cacheable


def test_a_huge_learning_rate_keeps_every_number_finite():
    result = run_classifier(ClassifierConfig(lr=1000.0, steps=30, model="mlp"))
    assert np.isfinite(result.history.drop(columns="step").to_numpy()).all()
    assert np.isfinite(result.failures["P(positive)"]).all()


@pytest.mark.parametrize("change, message", [
    ({"model": "svm"}, "Unknown model"), ({"steps": 0}, "at least 1 step"), ({"lr": 0.0}, "must be positive"),
    ({"ngrams": 3}, "single words or word pairs"), ({"test_fraction": 1.0}, "between 0 and 1"),
])
def test_settings_that_cannot_run_get_a_sentence(change, message):
    with pytest.raises(ValueError, match=message):
        run_classifier(ClassifierConfig(**change))


def test_the_code_shows_the_vectorizer_and_the_model():
    code = run_classifier(ClassifierConfig(model="mlp", steps=2, ngrams=2)).code
    assert "TfidfVectorizer(ngram_range=(1, 2))" in code and "nn.ReLU()" in code
