"""The demo pages that lessons may link to, by url path, with their URL parameters."""

from ui import activation_params

DEMO_PARAMS = {
    activation_params.PAGE: activation_params.PARAMS,
}
