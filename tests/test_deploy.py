"""deploy/ matches the code: every variable once, the right secrets per process, units that
systemd accepts and that run real commands, and an nginx site that nginx accepts.

The proxy itself runs in tests/test_nginx.py; these checks take a second.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.settings import _SECRET_NAMES, PROCESS_SECRETS, PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
ENV_EXAMPLE = DEPLOY / "welbevinden.env.example"
UNITS = sorted((DEPLOY / "systemd").glob("welbevinden*"))
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
#: Read by Rasa or TensorFlow, not by our code; the units need them all the same.
THIRD_PARTY = {"RASA_TELEMETRY_ENABLED", "TF_CPP_MIN_LOG_LEVEL"}
#: Not secrets of PROCESS_SECRETS, but secret all the same, and for these processes only.
OTHER_SECRETS = {"RASA_JWT_SECRET": {"rasa"}, "SMTP_PASSWORD": {"scheduler"}}


def variables_in_code() -> set[str]:
    """Every environment variable bot/ and actions/ read (literal names, plus the generated secrets)."""
    pattern = re.compile(r"""(?:environ(?:\.get)?\(|environ\[|getenv\(|_env_[a-z]+\()\s*["']([A-Z][A-Z0-9_]+)["']""")
    names = set(_SECRET_NAMES)
    for folder in ("bot", "actions"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            if "node_modules" not in path.parts:
                names |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return names


def example_lines() -> dict[str, list[str]]:
    """Each variable of the example (set, or commented out) with the lines that name it."""
    found: dict[str, list[str]] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]+)=", line)
        if match:
            found.setdefault(match.group(1), []).append(line)
    return found


def test_the_example_environment_lists_every_variable_once():
    listed = example_lines()
    assert {name: lines for name, lines in listed.items() if len(lines) > 1} == {}
    assert sorted(variables_in_code() - set(listed)) == [], "missing from deploy/welbevinden.env.example"
    assert sorted(set(listed) - variables_in_code() - THIRD_PARTY) == [], "listed, but nothing reads it"


def test_the_example_holds_no_secret_and_names_who_needs_each():
    listed = example_lines()
    expected = {name: set() for name in _SECRET_NAMES} | {"REST_TOKEN": set()} | OTHER_SECRETS
    for process, names in PROCESS_SECRETS.items():
        if process != "serve":  # serve starts the others: it needs them all
            for name in names:
                expected[name] = expected[name] | {process}
    for name, processes in expected.items():
        [line] = listed[name]
        assert line.startswith("# ") and re.match(rf"^# {name}=\s+\(", line), f"{name} must be an empty comment"
        named = set(re.search(r"\(([^)]*)\)", line).group(1).split(", "))
        assert named == processes, f"{name}: the example says {named}, PROCESS_SECRETS says {processes}"
    for name, [line] in listed.items():
        value = line.partition("=")[2].split("#")[0].strip()
        if re.search(r"SECRET|TOKEN|PASSWORD|KEY", name):
            assert not line.startswith(name) or value == "", f"{name} has a value in the example"
        assert "CHANGE-ME" in value or not re.search(r"://[^/@]+:[^@]+@", value), f"{name} holds a password"


def unit_commands() -> dict[str, list[str]]:
    commands = {}
    for unit in UNITS:
        for line in unit.read_text(encoding="utf-8").splitlines():
            if line.startswith("ExecStart="):
                commands[unit.name] = line.removeprefix("ExecStart=").split()
    return commands


def test_every_unit_runs_a_command_the_cli_has_with_its_own_secrets():
    commands = unit_commands()
    assert set(commands) == {u.name for u in UNITS if u.suffix == ".service"}
    for unit, command in commands.items():
        assert command[:4] == ["/opt/welbevinden/.venv/bin/python", "-m", "bot", "run"], unit
        args = build_parser().parse_args([a.replace("%i", "5005") for a in command[3:]])
        process = args.service
        assert unit.startswith(f"welbevinden-{process}")
        text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8")
        assert f"EnvironmentFile=/etc/welbevinden/secrets/{process}.env" in text
        assert "EnvironmentFile=/etc/welbevinden/welbevinden.env" in text


def test_the_target_starts_what_nginx_routes_to():
    target = (DEPLOY / "systemd" / "welbevinden.target").read_text(encoding="utf-8")
    upstreams = (DEPLOY / "nginx" / "welbevinden-upstreams.conf").read_text(encoding="utf-8")
    env = ENV_EXAMPLE.read_text(encoding="utf-8")

    def servers(upstream: str) -> set[int]:
        block = re.search(rf"upstream {upstream} \{{(.*?)\}}", upstreams, re.S).group(1)
        return {int(p) for p in re.findall(r"server 127\.0\.0\.1:(\d+)", block)}

    assert servers("welbevinden_rasa") == {int(p) for p in re.findall(r"welbevinden-rasa@(\d+)", target)}
    assert servers("welbevinden_actions") == {int(p) for p in re.findall(r"welbevinden-actions@(\d+)", target)}
    assert servers("welbevinden_web") == {int(re.search(r"^WEB_PORT=(\d+)", env, re.M).group(1))}
    internal = re.search(r"listen 127\.0\.0\.1:(\d+);", upstreams).group(1)
    assert f"ACTION_SERVER_URL=http://127.0.0.1:{internal}/webhook" in env
    for name in ("web", "scheduler"):
        assert f"welbevinden-{name}.service" in target


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path):
    for unit in UNITS:  # the checkout stands in for /opt/welbevinden, so the commands exist
        text = unit.read_text(encoding="utf-8").replace("/opt/welbevinden", str(PROJECT_ROOT))
        (tmp_path / unit.name.replace("@.", "@5005.")).write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed: `make nginx`")
@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_nginx_accepts_the_public_site(tmp_path: Path):
    """The TLS site as shipped (with a throw-away certificate and log paths in tmp_path)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = (DEPLOY / "nginx" / "welbevinden-site.conf").read_text(encoding="utf-8")
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", site)
    site = site.replace("/var/log/nginx/", f"{tmp_path}/").replace(
        "include snippets/welbevinden-locations.conf;", f"include {DEPLOY / 'nginx' / 'welbevinden-locations.conf'};"
    )
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\nhttp {{\n"
        f"  include {DEPLOY / 'nginx' / 'welbevinden-upstreams.conf'};\n  include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "[warn]" not in result.stderr, result.stderr


def test_the_documented_secret_files_hold_each_process_its_own_secrets():
    doc = (PROJECT_ROOT / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
    files = {process: set(names.split()) for names, process in re.findall(r"^pick ([A-Z_ ]+) > (\w+)\.env$", doc, re.M)}
    expected = {p: set(names) for p, names in PROCESS_SECRETS.items() if p != "serve"}
    expected["scheduler"] |= {"SMTP_PASSWORD"}
    assert files == expected
    generated = set(re.search(r"^for name in ([A-Z_ ]+); do$", doc, re.M).group(1).split())
    assert generated == set(_SECRET_NAMES) | {"REST_TOKEN"}
