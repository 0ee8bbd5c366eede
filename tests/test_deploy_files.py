"""The deployment files agree with each other and with the app's settings (Docker itself cannot run here)."""

import re
from dataclasses import fields

import yaml

from bench.app_server import ROOT
from jobs import RunnerSettings

DEPLOY = ROOT / "deploy"
OTHER_SETTINGS = {"DLLAB_IDLE_RELEASE_S", "DLLAB_MODE", "DLLAB_JOIN_CODE", "DLLAB_TEACHER_EMAILS",
                  "DLLAB_DATABASE_URL", "DLLAB_DEVICE"}


def known_settings() -> set[str]:
    return {f"DLLAB_{f.name.upper()}" for f in fields(RunnerSettings)} | OTHER_SETTINGS


def env_example() -> str:
    return (DEPLOY / ".env.example").read_text()


def test_every_variable_the_compose_file_requires_is_in_the_example_env_file():
    compose = (DEPLOY / "compose.yaml").read_text()
    required = set(re.findall(r"\$\{(\w+):\?", compose))
    assert required and required <= set(re.findall(r"^(\w+)=", env_example(), re.MULTILINE))


def test_the_app_gets_every_setting_from_the_env_file_and_each_one_named_there_exists():
    app = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]["app"]
    assert app["env_file"] == [".env"]  # beside the compose file, as the README's commands make it
    named = set(re.findall(r"^#? ?(DLLAB_\w+)=", env_example(), re.MULTILINE)) | {
        k for k in app["environment"] if k.startswith("DLLAB_")}
    assert named and named <= known_settings()
    readme = (ROOT / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in named - {"DLLAB_DATABASE_URL"}), "a setting the README leaves out"


def test_the_image_runs_as_a_plain_user_and_checks_streamlits_health_endpoint():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n?.*/_stcore/health", dockerfile, re.MULTILINE)
    assert "torch==2.13.0" in dockerfile


def test_no_secret_or_local_state_goes_into_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {"deploy/.env", "deploy/tls", "deploy/secrets.toml", ".streamlit/secrets.toml", ".venv"} <= ignored
