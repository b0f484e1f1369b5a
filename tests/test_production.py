"""APP_ENV=production: every process refuses unsafe settings with one list, and starts when all is set.

Unsafe: a secret not from the environment (the embedded default generates them into
var/secrets.json), demo data, cookies without Secure, the REST channel without a token,
Rasa's HTTP API without a JWT secret, MIN_GROUP below 5, no SMTP server. Each process
checks the secrets it needs (bot.settings.PROCESS_SECRETS) and everything else.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage

from bot.settings import PROCESS_SECRETS, Settings, production_report, validate_production
from tests.servers import free_port
from tests.test_crisis_first import serve_rest

ROOT = Path(__file__).resolve().parent.parent
SECRET_NAMES = ("PSEUDONYM_SECRET", "WEB_SECRET_KEY", "ACTION_SERVER_TOKEN", "LINK_SECRET", "SCAN_TOKEN_SECRET")
ALL_SECRETS = (*SECRET_NAMES, "REST_TOKEN")


def safe_env(var_dir: Path) -> dict[str, str]:
    """Everything production needs, each secret its own."""
    return {
        "APP_ENV": "production",
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'app.db'}",
        **{name: secrets.token_urlsafe(48) for name in ALL_SECRETS},
        "DEMO_DATA": "false",
        "SECURE_COOKIES": "true",
        "MIN_GROUP": "5",
        "SMTP_HOST": "smtp.school.example",
        "SMTP_PORT": "587",
        "SMTP_TLS": "starttls",
        "SMTP_USER": "welbevinden",
        "SMTP_PASSWORD": "mail-password",
        "MAIL_FROM": "Welbevinden-assistent <welbevinden@school.example>",
    }


@pytest.fixture
def production(monkeypatch, isolated_settings: Path) -> dict[str, str]:
    """A safe production environment for this test (change it with monkeypatch)."""
    env = safe_env(isolated_settings)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def problems(process: str = "serve") -> list[str]:
    return validate_production(Settings.from_env(), process)


def test_everything_set_is_safe_for_every_process(production):
    for process in PROCESS_SECRETS:
        assert problems(process) == [], process


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"DEMO_DATA": "true"}, "DEMO_DATA"),
        ({"DEMO_DATA": ""}, "DEMO_DATA"),  # on by default
        ({"SECURE_COOKIES": "false"}, "SECURE_COOKIES"),
        ({"MIN_GROUP": "4"}, "MIN_GROUP is 4"),
        ({"SMTP_HOST": ""}, "SMTP_HOST is empty"),
        ({"SMTP_TLS": "none"}, "SMTP_TLS is none"),
        ({"MAIL_FROM": ""}, "MAIL_FROM"),
        ({"REST_TOKEN": ""}, "REST_TOKEN is not set"),
        ({"RASA_ENABLE_API": "true"}, "RASA_JWT_SECRET is not set"),
        ({"RASA_ENABLE_API": "true", "RASA_JWT_SECRET": "short"}, "RASA_JWT_SECRET is shorter than 32"),
        ({"LINK_SECRET": "too-short"}, "LINK_SECRET is shorter than 32"),
    ],
)
def test_each_unsafe_setting_is_refused_by_name(production, monkeypatch, change, named):
    for name, value in change.items():
        monkeypatch.setenv(name, value)
    found = problems("serve")
    assert len(found) == 1 and named in found[0], found


def test_a_generated_secret_is_refused_and_production_never_writes_one(production, monkeypatch, isolated_settings):
    monkeypatch.delenv("PSEUDONYM_SECRET")
    settings = Settings.from_env()
    assert settings.pseudonym_secret == "" and "PSEUDONYM_SECRET" in settings.unset_secrets
    assert not (isolated_settings / "secrets.json").exists()
    [problem] = validate_production(settings, "actions")
    assert problem.startswith("PSEUDONYM_SECRET is not set in the environment (keys the check-in pseudonyms")
    assert "no secret is generated" in problem


def test_moving_from_the_embedded_default_says_where_the_old_secret_is(production, monkeypatch, isolated_settings):
    monkeypatch.setenv("APP_ENV", "development")
    for name in SECRET_NAMES:
        monkeypatch.delenv(name)
    generated = Settings.from_env()  # the embedded default generates var/secrets.json
    assert set(generated.unset_secrets) == set(SECRET_NAMES) and generated.pseudonym_secret
    assert len(validate_production(generated, "serve")) == 5  # each generated secret
    monkeypatch.setenv("APP_ENV", "production")
    found = problems("actions")
    assert len(found) == 3
    assert all("secrets.json" in p and "move the value it holds into the environment" in p for p in found)


def test_one_secret_for_two_purposes_is_refused(production, monkeypatch):
    monkeypatch.setenv("SCAN_TOKEN_SECRET", production["WEB_SECRET_KEY"])
    [problem] = problems("web")
    assert problem == "WEB_SECRET_KEY and SCAN_TOKEN_SECRET have the same value: give each purpose its own secret."


def test_each_process_needs_only_its_own_secrets(production, monkeypatch):
    for name in ALL_SECRETS:
        monkeypatch.delenv(name)
    needed = {
        process: {p.split()[0] for p in problems(process) if p.split()[0] in ALL_SECRETS} for process in PROCESS_SECRETS
    }
    assert needed == {
        "web": {"WEB_SECRET_KEY", "SCAN_TOKEN_SECRET", "PSEUDONYM_SECRET", "LINK_SECRET"},
        "actions": {"ACTION_SERVER_TOKEN", "PSEUDONYM_SECRET", "SCAN_TOKEN_SECRET"},
        "rasa": {"ACTION_SERVER_TOKEN", "REST_TOKEN"},
        "scheduler": {"PSEUDONYM_SECRET", "LINK_SECRET"},
        "serve": set(ALL_SECRETS),
    }
    # So the action server can be given just its three, and starts with them.
    for name in ("ACTION_SERVER_TOKEN", "PSEUDONYM_SECRET", "SCAN_TOKEN_SECRET"):
        monkeypatch.setenv(name, production[name])
    assert problems("actions") == []


def test_every_problem_comes_in_one_list(monkeypatch, isolated_settings):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("MIN_GROUP", "3")
    found = problems("serve")
    report = production_report(found, "serve")
    assert (
        report.splitlines()[0]
        == f"APP_ENV=production: the serve process refuses to start. Fix these {len(found)} settings:"
    )
    for word in ("DEMO_DATA", "SECURE_COOKIES", "MIN_GROUP", "SMTP_HOST", "REST_TOKEN", *SECRET_NAMES):
        assert word in report, word
    assert [line.split(".")[0].strip() for line in report.splitlines()[1:-1]] == [
        str(i) for i in range(1, len(found) + 1)
    ]


def test_the_embedded_default_is_not_checked(isolated_settings):
    from bot.settings import require_production_ready

    settings = Settings.from_env()
    assert settings.app_env == "development" and validate_production(settings, "serve")  # unsafe, but allowed
    require_production_ready(settings, "serve")  # no SystemExit


def test_app_env_is_checked_for_typos(monkeypatch):
    monkeypatch.setenv("APP_ENV", "prod")
    with pytest.raises(SystemExit, match="APP_ENV must be one of development, production"):
        Settings.from_env()


# --------------------------------------------------------------------------- every process refuses, and starts


def test_the_web_app_refuses_and_starts(production, monkeypatch):
    from bot.web.app import from_env

    monkeypatch.setenv("SECURE_COOKIES", "false")
    monkeypatch.delenv("WEB_SECRET_KEY")
    with pytest.raises(SystemExit) as refused:
        from_env()
    message = str(refused.value)
    assert "the web process refuses to start. Fix these 2 settings:" in message
    assert "WEB_SECRET_KEY is not set" in message and "SECURE_COOKIES is off" in message
    monkeypatch.setenv("SECURE_COOKIES", "true")
    monkeypatch.setenv("WEB_SECRET_KEY", production["WEB_SECRET_KEY"])
    monkeypatch.delenv("ACTION_SERVER_TOKEN")  # not the web app's
    monkeypatch.delenv("REST_TOKEN")
    app = from_env()
    assert app.test_client().get("/healthz").json == {"status": "ok"}
    app.config["WELBEVINDEN_BACKEND"].database.dispose()


def test_the_scan_token_key_is_not_the_cookie_key(production):
    from bot.services.scan import make_scan_token, read_scan_token

    settings = Settings.from_env()
    token = make_scan_token(7, settings.scan_token_secret)
    assert read_scan_token(token, settings.scan_token_secret) == 7
    assert read_scan_token(token, settings.web_secret_key) is None


def test_rasa_refuses_its_http_api_without_a_jwt_secret(production):
    from bot.rasa_channels import start_up

    assert start_up(["rasa", "run", "--enable-api", "--jwt-secret", "x" * 40]).app_env == "production"
    for argv in (["rasa", "run", "--enable-api"], ["rasa", "run", "--enable-api", "--jwt-secret=short"]):
        with pytest.raises(SystemExit, match="started with --enable-api but without --jwt-secret"):
            start_up(argv)


def run(cmd: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in (*ALL_SECRETS, "APP_ENV")}
    return subprocess.run(
        cmd, cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_python_m_bot_serve_refuses_before_starting_anything(tmp_path):
    env = {**safe_env(tmp_path), "DEMO_DATA": "true", "REST_TOKEN": "", "SMTP_HOST": ""}
    done = run([sys.executable, "-m", "bot", "serve"], env)
    assert done.returncode == 1
    assert "APP_ENV=production: the serve process refuses to start. Fix these 3 settings:" in done.stderr
    assert "DEMO_DATA is on" in done.stderr and "REST_TOKEN is not set" in done.stderr
    assert "[serve] starting" not in done.stdout
    assert not (tmp_path / "secrets.json").exists()


def test_serve_passes_the_check_when_everything_is_set(production, monkeypatch, tmp_path, capsys):
    from bot import serve as serve_module

    monkeypatch.setattr(serve_module, "MODEL_PATH", tmp_path / "no-model.tar.gz")
    assert serve_module.serve(Settings.from_env()) == 1  # past the check, stopped by the missing model
    assert "No trained model" in capsys.readouterr().err


def test_the_action_server_refuses_and_starts(tmp_path):
    env = {**safe_env(tmp_path), "SCAN_TOKEN_SECRET": "", "MIN_GROUP": "3"}
    port = free_port()
    done = run([sys.executable, "-m", "actions.server", "--port", str(port)], env)
    assert done.returncode == 1
    assert "the actions process refuses to start. Fix these 2 settings:" in done.stderr
    assert "SCAN_TOKEN_SECRET is not set" in done.stderr and "MIN_GROUP is 3" in done.stderr
    # Its own three secrets and the shared settings are enough.
    env = {k: v for k, v in safe_env(tmp_path).items() if k not in ("WEB_SECRET_KEY", "LINK_SECRET", "REST_TOKEN")}
    base = {k: v for k, v in os.environ.items() if k not in (*ALL_SECRETS, "APP_ENV")}
    process = subprocess.Popen(
        [sys.executable, "-m", "actions.server", "--port", str(port)],
        cwd=ROOT,
        env={**base, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.stderr.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    assert json.load(response) == {"status": "ok"}
                    break
            except OSError:
                assert time.monotonic() < deadline, "the action server did not start"
                time.sleep(0.5)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.rasa
def test_a_real_rasa_process_refuses_before_loading_the_model(tmp_path):
    from bot.serve import rasa_env

    env = {**safe_env(tmp_path), "REST_TOKEN": "", "DEMO_DATA": "true"}
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        env.update(rasa_env(Settings.from_env()))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    rasa = str(Path(sys.executable).parent / "rasa")
    cmd = [rasa, "run", "--model", "models/no-model.tar.gz", "--endpoints", "endpoints.yml"]
    done = run([*cmd, "--credentials", "credentials.yml", "--port", str(free_port())], env, timeout=300)
    assert done.returncode == 1
    assert "the rasa process refuses to start. Fix these 2 settings:" in done.stderr + done.stdout


# --------------------------------------------------------------------------- the REST channel's token


async def test_the_rest_channel_needs_the_token_when_it_is_set(production):
    class Rasa:
        async def handle_message(self, message: UserMessage) -> None:
            await message.output_channel.send_response(message.sender_id, {"text": "Hoi!"})

    server, webhook = await serve_rest(Rasa())
    url = webhook.rsplit("/", 1)[0]
    token = production["REST_TOKEN"]
    body = {"sender": "integratie-1", "message": "hoi"}
    try:
        async with aiohttp.ClientSession() as client:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}, {"X-Rest-Token": token}):
                async with client.post(f"{url}/webhook", json=body, headers=headers) as response:
                    assert response.status == 401 and "Hoi" not in await response.text()
            async with client.post(
                f"{url}/webhook", json=body, headers={"Authorization": f"Bearer {token}"}
            ) as response:
                assert response.status == 200 and (await response.json())[0]["text"] == "Hoi!"
            async with client.get(f"{url}/") as response:  # the channel's health check stays open
                assert response.status == 200
    finally:
        server.close()
        await server.wait_closed()


# --------------------------------------------------------------------------- the documentation


def test_docs_deploy_lists_every_variable_once():
    """Every variable the code (and endpoints.yml) reads is in docs/DEPLOY.md's table, each exactly once."""
    names = set()
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "actions").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"""_env_(?:bool|int|float|choice)\(\s*"([A-Z_]+)\"""", text))
        names |= set(re.findall(r"""os\.environ(?:\.get\(|\[)\s*"([A-Z][A-Z0-9_]+)\"""", text))
    for config in ("endpoints.yml", "credentials.yml"):  # what Rasa itself reads
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)\}", (ROOT / config).read_text(encoding="utf-8")))
    names |= set(ALL_SECRETS)
    names -= {"PYTHONUNBUFFERED"}  # set by serve for its children, not a setting
    deploy = (ROOT / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
    assert "\n## Every variable\n" in deploy
    table = deploy.split("\n## Every variable\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", table, flags=re.M)
    assert sorted(names - set(rows)) == []
    assert [name for name in set(rows) if rows.count(name) > 1] == []
