"""The topic registry: one row per topic page.

The navigation, Home, lesson-link checks, the worker warm-up and the contract and browser
tests all read this table. Adding a topic is one row here plus the topic's own files
(see "Adding a topic" in docs/adding-a-topic.md).
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ui.params import Param


@dataclass(frozen=True)
class DemoTask:
    """A training task a page submits as a job."""

    fn: Callable  # fn(config, on_report=, should_stop=, deadline=) -> a result of plain data
    from_values: Callable[[dict], Any]  # the task's config from the page's parameter values
    tiny: Any  # a config that trains in well under a second: for tests and worker warm-up


@dataclass(frozen=True)
class Topic:
    slug: str  # url path, e.g. "activations"
    title: str
    icon: str  # a Material icon, e.g. ":material/show_chart:"
    section: str  # the navigation section it is listed under
    page: str  # its page script
    blurb: str  # one line for Home
    syllabus: tuple[str, ...]  # the syllabus sections its lessons cover
    spec: str  # the module that declares its PARAMS and TASKS, imported on first use (it imports torch)

    @property
    def params(self) -> dict[str, Param]:
        """Its URL parameters, each declared once."""
        return importlib.import_module(self.spec).PARAMS

    @property
    def tasks(self) -> tuple[DemoTask, ...]:
        return importlib.import_module(self.spec).TASKS


# The navigation and Home read this table before any topic module is imported, so a fresh
# server draws them while torch is still loading.
TOPICS: tuple[Topic, ...] = (
    Topic(slug="activations", title="Activation functions", icon=":material/show_chart:", section="Foundations",
          page="app_pages/activations.py", blurb="why networks need non-linearity, and what each function does "
          "to learning", syllabus=("A", "B"), spec="ui.activation_params"),
    Topic(slug="backpropagation", title="Backpropagation, losses and initialization",
          icon=":material/account_tree:", section="Foundations", page="app_pages/backpropagation.py",
          blurb="the chain rule in real numbers checked against autograd, MSE against cross-entropy, and what the "
          "starting weights do to a deep network", syllabus=("C",), spec="ui.backprop_params"),
    Topic(slug="gradient-descent", title="Gradient descent and optimizers", icon=":material/trending_down:",
          section="Training", page="app_pages/gradient_descent.py", blurb="optimizers racing on loss surfaces, "
          "learning rates, batch sizes, schedules and search, on real data", syllabus=("D",),
          spec="ui.descent_params"),
    Topic(slug="overfitting", title="Overfitting and regularization", icon=":material/tune:", section="Training",
          page="app_pages/overfitting.py", blurb="make a network overfit a few noisy points, then cure it: L2, L1, "
          "dropout, early stopping, ensembles; capacity, data and bias-variance sweeps", syllabus=("E",),
          spec="ui.overfitting_params"),
    Topic(slug="lstm", title="Recurrent networks and LSTM gates", icon=":material/memory:", section="Architectures",
          page="app_pages/lstm.py", blurb="watch an LSTM's gates open and close on memory tasks; plain RNN, GRU and "
          "LSTM as sequences grow; vanishing and exploding gradients; bidirectional", syllabus=("G",),
          spec="ui.lstm_params"),
    Topic(slug="cnn", title="Convolutional networks and feature maps", icon=":material/grid_on:",
          section="Architectures", page="app_pages/cnn.py", blurb="train a small CNN live on handwritten digits and "
          "look inside: filters, feature maps of your own drawing, conv arithmetic, receptive fields, transfer "
          "learning and augmentation", syllabus=("F",), spec="ui.cnn_params"),
    Topic(slug="tf-idf", title="TF-IDF and text features", icon=":material/article:", section="Text",
          page="app_pages/tf_idf.py", blurb="term and document frequency computed step by step on your own text, "
          "search by cosine similarity, a classifier on TF-IDF features, and where a bag of words breaks",
          syllabus=("H",), spec="ui.tfidf_params"),
)
BY_SLUG = {topic.slug: topic for topic in TOPICS}


def preload_modules() -> list[str]:
    """The modules that hold every topic's tasks, for workers to import before their first job."""
    return list(dict.fromkeys(task.fn.__module__ for topic in TOPICS for task in topic.tasks))


def warmups() -> list[tuple[Callable, Any]]:
    """Every task with its tiny config: a worker runs each once, so no learner pays first-call costs."""
    return [(task.fn, task.tiny) for topic in TOPICS for task in topic.tasks]
