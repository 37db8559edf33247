"""The deployment recipes in deploy/: each validated with its own tool where one runs here,
and held to the code: every variable they set is one a process reads, every secret they ship
is a placeholder the settings refuse."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseSettings, ValidationError

from actions.lockout import LockoutSettings
from bot.settings import BotSettings
from connectors.settings import ConnectorSettings
from handover.config import HandoverSettings
from privacy.settings import PrivacySettings, tracker_store_endpoint
from reporting.settings import SQL_STORE_TYPE, ReportingSettings
from trainer.settings import TrainerSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
KUBERNETES_VERSION = "1.28.0"  # the newest schemas kubernetes-validate 1.28.0 bundles
SETTINGS: tuple[type[BaseSettings], ...] = (
    BotSettings, ConnectorSettings, HandoverSettings, LockoutSettings, PrivacySettings,
    ReportingSettings, TrainerSettings,
)  # fmt: skip
# Read by a library, not by a settings class: the variable and the file that reads it.
LIBRARY_VARIABLES = {
    "FORWARDED_ALLOW_IPS": "uvicorn/config.py",
    "RASA_TELEMETRY_ENABLED": "rasa/telemetry.py",
    "TF_INTRA_OP_PARALLELISM_THREADS": "rasa/constants.py",
    "TF_INTER_OP_PARALLELISM_THREADS": "rasa/constants.py",
}
PLACEHOLDER = "change-me"
# Each shipped secret, and the settings class and field that must refuse its placeholder.
TOKENS = {
    "HANDOVER_SECRET_KEY": (HandoverSettings, "secret_key"),
    "HANDOVER_BOT_TOKEN": (HandoverSettings, "bot_token"),
    "HANDOVER_RASA_TOKEN": (HandoverSettings, "rasa_token"),
    "BACKEND_HANDOVER_TOKEN": (ConnectorSettings, "handover_token"),
    "BOT_ACTION_TOKEN": (BotSettings, "action_token"),
    "BOT_RASA_TOKEN": (BotSettings, "rasa_token"),
}
OWN_IMAGE = "switchboard"
REAL_SECRET = "a-random-value-" + "x" * 32


def setting_names() -> set[str]:
    """Every environment variable a settings class of the project reads."""
    return {
        name.upper()
        for settings in SETTINGS
        for field in settings.__fields__.values()
        for name in field.field_info.extra["env_names"]
    }


def library_reads(name: str) -> bool:
    site = Path(yaml.__file__).resolve().parents[1]
    return name in (site / LIBRARY_VARIABLES[name]).read_text()


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def manifests() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(K8S.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            yield from ((path, doc) for doc in yaml.safe_load_all(path.read_text()) if doc)


def own_containers() -> Iterator[dict[str, Any]]:
    for _, doc in manifests():
        pod = doc.get("spec", {}).get("template", {}).get("spec", {})
        for container in pod.get("containers", []) + pod.get("initContainers", []):
            if container["image"] == OWN_IMAGE:
                yield container


def env_example() -> dict[str, str]:
    lines = (DEPLOY / "env.example").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def recipe_variables() -> set[str]:
    """The variables the recipes give the project's processes (its image's containers)."""
    names: set[str] = set()
    for service in compose()["services"].values():
        if service.get("image") == f"{OWN_IMAGE}:latest":
            names |= set(service.get("environment", {}))
    for container in own_containers():
        names |= {entry["name"] for entry in container.get("env", [])}
        if container.get("envFrom"):
            config = next(doc for _, doc in manifests() if doc["kind"] == "ConfigMap")
            names |= set(config["data"])
    files = (DEPLOY / "rasa").glob("endpoints-*.yml")
    lines = (line for path in files for line in path.read_text().splitlines())
    endpoints = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    return names | set(re.findall(r"\$\{([A-Z0-9_]+)\}", endpoints))


def test_every_variable_the_recipes_set_is_read_by_the_code() -> None:
    names = recipe_variables()
    assert {"HANDOVER_SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= names  # the parse found them
    unknown = names - setting_names() - set(LIBRARY_VARIABLES)
    assert not unknown, f"no settings class reads {sorted(unknown)}"
    assert all(library_reads(name) for name in names & set(LIBRARY_VARIABLES))


def test_env_example_holds_settings_and_the_composes_own_variables() -> None:
    interpolated = set(re.findall(r"\$\{([A-Z0-9_]+)", (DEPLOY / "compose.yaml").read_text()))
    for name in env_example():
        assert name in interpolated, f"compose.yaml never uses {name}"
    # Recipe-only variables (PostgreSQL's password) never reach the project's processes.
    assert "POSTGRES_PASSWORD" not in recipe_variables()


def shipped_secrets() -> dict[str, str]:
    secret = next(doc for _, doc in manifests() if doc["kind"] == "Secret")
    shipped = {f"k8s {key}": value for key, value in secret["stringData"].items()}
    example = env_example()
    shipped |= {f"env.example {key}": example[key] for key in (*TOKENS, "POSTGRES_PASSWORD")
                if key in example}  # fmt: skip
    return shipped


def test_every_shipped_secret_is_a_placeholder_the_settings_refuse() -> None:
    shipped = shipped_secrets()
    assert len(shipped) >= 12
    for where, value in shipped.items():
        assert PLACEHOLDER in value, where
        name = where.split()[1]
        if name in TOKENS:
            settings, field = TOKENS[name]
            with pytest.raises(ValidationError, match=name):
                production(settings, **{field: value})


def production(settings: type[BaseSettings], **given: str) -> BaseSettings:
    """`settings` in production, with real secrets but those `given`."""
    secrets = {field: REAL_SECRET for cls, field in TOKENS.values() if cls is settings}
    return settings(environment="production", **{**secrets, **given})


def test_the_placeholders_check_can_fail() -> None:
    for settings, field in TOKENS.values():
        assert getattr(production(settings), field) == REAL_SECRET


def test_the_compose_file_validates_against_the_compose_spec(tmp_path: Path) -> None:
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose (Debian's package, compose spec schema) is not installed")
    assert compose_config(DEPLOY / "compose.yaml").returncode == 0
    # The same check refuses a service with a key the spec does not have.
    broken = tmp_path / "compose.yaml"
    broken.write_text(
        (DEPLOY / "compose.yaml").read_text().replace("  lb:\n", "  lb:\n    rplicas: 2\n")
    )
    assert compose_config(broken).returncode != 0


def compose_config(path: Path) -> subprocess.CompletedProcess[str]:
    argv = ["docker-compose", "--env-file", str(DEPLOY / "env.example"), "-f", str(path),
            "--project-directory", str(DEPLOY), "config", "-q"]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def test_every_kubernetes_manifest_validates_against_the_schemas() -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    checked = [
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True) for _, doc in manifests()
    ]
    assert len(checked) >= 20
    # A misspelt field fails the same check.
    deployment = next(doc for _, doc in manifests() if doc["kind"] == "Deployment")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest_but_the_secret_and_namespace() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    files = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == files - {"secret.example.yaml", "namespace.yaml"}


def test_rasa_endpoints_are_what_the_stack_writes_with_the_clusters_addresses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rasa.shared.utils.io import read_config_file

    values = {name: f"value-of-{name}" for name in recipe_variables() if name.isupper()}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    servers = {s: read_config_file(str(DEPLOY / "rasa" / f"endpoints-{s}.yml")) for s in "ab"}
    for server, endpoints in servers.items():
        assert endpoints["action_endpoint"]["token"] == values["BOT_ACTION_TOKEN"]  # expanded
        assert endpoints["tracker_store"]["type"] == tracker_store_endpoint()["type"]
        assert endpoints["tracker_store"]["url"] == values["PRIVACY_TRACKER_STORE_URL"]
        assert endpoints["event_broker"] == {
            "type": SQL_STORE_TYPE,
            "url": values["REPORTING_EVENTS_URL"],
        }
        assert endpoints["lock_store"]["type"] == "redis"
        assert endpoints["models"]["url"].endswith(f"/api/bot/models/{server}")
        assert (
            endpoints["models"]["headers"]["Authorization"] == f"Bearer {values['BOT_RASA_TOKEN']}"
        )
    del servers["a"]["models"]["url"], servers["b"]["models"]["url"]
    assert servers["a"] == servers["b"]


def test_the_nginx_configuration_passes_nginx_t(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is not installed (Debian's nginx-light runs this check)")
    # nginx resolves upstream names when it loads: the compose names exist on its network only.
    site = (DEPLOY / "nginx" / "switchboard.conf").read_text()
    (tmp_path / "site.conf").write_text(re.sub(r"server gateway-\d+:", "server 127.0.0.1:", site))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}/body; include site.conf; }}\n"
    )
    argv = [nginx, "-t", "-q", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_the_healthcheck_knows_each_process_by_its_command_line() -> None:
    from deploy.healthcheck import role_of

    assert role_of(["/usr/local/bin/python", "-m", "handover", "serve"]) == "gateway"
    assert role_of(["python", "-m", "bot.action_server"]) == "actions"
    assert (
        role_of(["/usr/local/bin/python", "/usr/local/bin/rasa", "run", "--port", "5005"]) == "rasa"
    )
    assert role_of(["python", "-m", "trainer", "worker"]) is None


def test_the_image_sets_what_make_sets() -> None:
    makefile = (ROOT / "Makefile").read_text()
    image = (DEPLOY / "Dockerfile").read_text()
    for name in re.findall(r"^\s+(TF_\w+|SQLALCHEMY_\w+|RASA_\w+)=", image, re.MULTILINE):
        assert re.search(rf"^export {name} :=", makefile, re.MULTILINE), name
