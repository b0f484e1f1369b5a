"""The processes and databases the stages run against: Rasa and action servers, subprocesses, schemas.

Servers are tests.servers stacks (an action server, then Rasa processes loading side by side);
every database the run makes is reached through the application's own services, from a
``Backend`` on ``settings.with_changes(database_url=...)``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.load import Member, MemberPool
from benchmarks.plan import Bench
from bot.backend import Backend
from bot.settings import PROJECT_ROOT as ROOT
from bot.settings import Settings

if TYPE_CHECKING:
    from tests.servers import Stack

BIN = Path(sys.executable).parent
OUR_MODEL = ROOT / "models" / "current.tar.gz"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
# For the jobs that run two at a time: one TensorFlow/OpenMP thread each. Measured on 2 cores: two
# 2-fold CVs side by side slowed each other ~40% with two threads each, ~3% with one each. Alone,
# a 5-fold CV of the default pipeline is faster on two threads (352 s vs ~490 s on one).
ONE_THREAD = {"TF_INTRA_OP_PARALLELISM_THREADS": "1", "TF_INTER_OP_PARALLELISM_THREADS": "1", "OMP_NUM_THREADS": "1"}
# Alembic's migration context is one per process: phase A migrates the insights databases while
# another job starts servers (tests.servers.Stack.start migrates too), so one migration at a time.
MIGRATIONS = threading.Lock()


# --------------------------------------------------------------------------- subprocesses


def timed_run(cmd: list[str], log_path: Path, env: dict[str, str], echo: Callable[[str], None] | None = None) -> dict:
    """Run ``cmd`` under /usr/bin/time -v; returns its ``time_v`` figures.

    Output goes to ``log_path``; Rasa's component lines and every 20% of epochs go to ``echo``.
    """
    time_bin = shutil.which("time") or "/usr/bin/time"
    full = [time_bin, "-v", *cmd] if Path(time_bin).exists() else cmd
    t0 = time.monotonic()
    with (
        open(log_path, "w") as out,
        subprocess.Popen(
            full, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        ) as process,
    ):
        shown = -1
        for line in process.stdout:  # text mode: tqdm's carriage returns end lines too
            out.write(line)
            epochs = re.match(r"Epochs:\s+(\d+)%", line)
            if echo and " component '" in line:
                echo(line.split(" - ", 1)[-1].strip())
                shown = -1
            elif echo and epochs and int(epochs[1]) // 20 > shown:
                shown = int(epochs[1]) // 20
                echo(line.strip()[:72])  # "Epochs:  40%|####  | 40/100 [01:02<01:33, ..."
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, cmd, output=f"see {log_path}")
    wall = time.monotonic() - t0
    return {"wall_s": wall, "peak_mb": float("nan"), "cpu_s": float("nan"),
            **time_v(log_path.read_text(errors="replace"))}  # fmt: skip


def time_v(text: str) -> dict[str, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS in MB from `/usr/bin/time -v` output.

    CPU time hardly changes when another job shares the cores; wall time does.
    """
    found: dict[str, float] = {}
    wall = re.search(r"Elapsed \(wall clock\) time .*: (?:(\d+):)?(\d+):([\d.]+)", text)
    if wall:
        found["wall_s"] = int(wall[1] or 0) * 3600 + int(wall[2]) * 60 + float(wall[3])
    cpu = [float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", text)]
    if len(cpu) == 2:
        found["cpu_s"] = sum(cpu)
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if peak:
        found["peak_mb"] = int(peak[1]) / 1024
    return found


def last_line(args: list[str], env: dict[str, str]) -> str:
    """Run ``python -m ARGS`` in the project and return the last line it printed (a JSON result)."""
    out = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def status_mb(pid: int, field: str) -> float:
    """One memory line of /proc/<pid>/status (``VmHWM``: peak resident, ``VmRSS``: resident now), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def vm_hwm_mb(pid: int) -> float:
    return status_mb(pid, "VmHWM")


def rss_mb(pid: int) -> float:
    return status_mb(pid, "VmRSS")


# --------------------------------------------------------------------------- databases


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, in seconds (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def cpu_busy(seconds: float = 1.0) -> float:
    """The share of the machine's CPU time spent busy over the next ``seconds`` (/proc/stat)."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields), idle

    total_0, idle_0 = sample()
    time.sleep(seconds)
    total_1, idle_1 = sample()
    return 1 - (idle_1 - idle_0) / max(total_1 - total_0, 1)


def wait_until_quiet(busy_below: float = 0.15, timeout_s: float = 60.0) -> float:
    """Wait until the CPU is mostly idle (a timing of start-up on a quiet machine); returns the last share."""
    deadline = time.monotonic() + timeout_s
    busy = cpu_busy()
    while busy >= busy_below and time.monotonic() < deadline:
        busy = cpu_busy()
    return busy


def services_up() -> tuple[bool, bool]:
    """Whether PostgreSQL (5432) and Redis (6379) answer on loopback."""

    def port_open(port: int) -> bool:
        with socket.socket() as sock:
            sock.settimeout(2)
            return sock.connect_ex(("127.0.0.1", port)) == 0

    return port_open(5432), port_open(6379)


def pg_schema(b: Bench) -> str:
    """A fresh PostgreSQL schema for this run (dropped by ``stop_servers``); returns its URL."""
    from tests.conftest import _fresh_postgres_schema

    schema, url = _fresh_postgres_schema(POSTGRES_URL)
    b.results.setdefault("schemas", []).append(schema)
    return url


def migrate(url: str) -> None:
    from bot.storage.migrate import upgrade

    with MIGRATIONS:
        upgrade(url)


def backend_for(settings: Settings, database_url: str, **changes: object) -> Backend:
    """A backend on one of the run's own databases."""
    return Backend.from_settings(settings.with_changes(database_url=database_url, **changes))


def backend_for_stack(settings: Settings, stack: Stack) -> Backend:
    """A backend on a started stack's app database with the secrets its servers read.

    PSEUDONYM_SECRET (the member pseudonyms ``verify_checkins`` looks up) and LINK_SECRET (the
    personal links' tokens) must be the servers' own; they come from ``stack.settings``, which
    ``Stack.start`` read from the very environment it gives the action server and Rasa.
    """
    assert stack.settings is not None, "start() the stack first"
    return backend_for(
        settings,
        stack.database_url,
        pseudonym_secret=stack.settings.pseudonym_secret,
        link_secret=stack.settings.link_secret,
    )


BENCH_SCHOOL = "Bench"
BENCH_DOMAIN = "bench.test"


@dataclass
class BenchTeam:
    """The bench school's roster: a real (non-demo) team whose members' personal links the load uses.

    Check-ins are stored only through a member's link, and one member per simulated sender keeps
    every check-in's row its own, so ``top_up`` adds members (between runs, never during one) as
    the runs use them up; a full team (``roster.MAX_MEMBERS``) gets a sibling in the same school.
    """

    backend: Backend
    code: str  # the first team's code
    team_ids: list[int]
    pool: MemberPool = field(default_factory=MemberPool)
    added: int = 0  # members made so far, in all teams

    def top_up(self, free: int) -> None:
        """Add roster members until at least ``free`` of them are unused."""
        from bot.services import roster
        from bot.services.links import member_token
        from bot.services.teams import create_team

        while len(self.pool) < free:
            with self.backend.uow() as uow:
                size = uow.members.count(self.team_ids[-1])
            if size >= roster.MAX_MEMBERS:
                team = create_team(self.backend.uow(), BENCH_SCHOOL, f"Bench team {len(self.team_ids) + 1}")
                self.team_ids.append(team.id)
                size = 0
            n = min(free - len(self.pool), roster.MAX_MEMBERS - size)
            emails = [f"bench{self.added + i}@{BENCH_DOMAIN}" for i in range(n)]
            change = roster.add_members(self.backend.uow(), self.team_ids[-1], "\n".join(emails), "bench",
                                        self.backend.settings.link_secret)  # fmt: skip
            if change.done != emails:
                raise RuntimeError(f"bench roster: {change.errors[:3]}")
            self.added += n
            secret = self.backend.settings.link_secret
            with self.backend.uow() as uow:
                rows = uow.members.with_emails(emails)
                self.pool.add(Member(m.id, member_token(m.id, m.token_version, secret)) for m in map(rows.get, emails))


def bench_team(backend: Backend, members: int = 0) -> BenchTeam:
    """The bench school and team, its allowed e-mail domain, and ``members`` roster members to start with."""
    from bot.services import roster
    from bot.services.teams import create_team

    team = create_team(backend.uow(), BENCH_SCHOOL, "Bench team")
    roster.set_domains(backend.uow(), BENCH_SCHOOL, [BENCH_DOMAIN])
    bench = BenchTeam(backend, team.code, [team.id])
    bench.top_up(members)
    return bench


def create_tracker_tables(url: str) -> None:
    """Rasa's SQL tracker store tables, as Rasa itself creates them at start-up."""
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore

    engine = sa.create_engine(url)
    SQLTrackerStore.Base.metadata.create_all(engine)
    engine.dispose()


# --------------------------------------------------------------------------- servers


@dataclass
class Servers:
    """An action server and its Rasa processes (by name), and a backend on their app database."""

    stack: Stack
    backend: Backend
    urls: dict[str, str] = field(default_factory=dict)

    def rasa_processes(self) -> list:
        return self.stack.processes[1:]  # the action server starts first


def start_stack(b: Bench, name: str, database_url: str, extra_env: dict[str, str] | None = None) -> Servers:
    """The action server of a timing stage on ``database_url`` (migrated); Rasa follows via ``start_rasa``."""
    import tests.servers as servers

    var = b.tmp / name
    var.mkdir()
    stack = servers.Stack(var, database_url)
    b.results.setdefault("stacks", []).append(stack)  # stopped at the end, even after a failure
    # The servers get the run's own secrets, so the bench's settings and theirs agree on both
    secrets = {"PSEUDONYM_SECRET": b.settings.pseudonym_secret, "LINK_SECRET": b.settings.link_secret}
    with MIGRATIONS:
        stack.start(with_rasa=False, extra_env={**secrets, **(extra_env or {})})
    backend = backend_for_stack(b.settings, stack)
    b.results.setdefault("backends", []).append(backend)
    return Servers(stack, backend)


def start_rasa(s: Servers, name: str, model: Path, args: tuple[str, ...] = (), env: dict | None = None) -> None:
    """One more Rasa process with ``model``, loading in the background (``s.stack.wait_all()`` waits)."""
    import tests.servers as servers

    servers.MODEL = model  # Stack.start_rasa reads the module's MODEL
    try:
        s.urls[name] = s.stack.start_rasa(args, extra_env=env or {}, wait=False)
    finally:
        servers.MODEL = OUR_MODEL


def stop_servers(b: Bench) -> None:
    """Stop every stack of the run, close its databases and drop its PostgreSQL schemas."""
    from tests.conftest import _drop_postgres_schema

    for stack in b.results.get("stacks", []):
        stack.stop()
    for backend in b.results.get("backends", []):
        backend.database.dispose()
    for schema in b.results.get("schemas", []):
        _drop_postgres_schema(POSTGRES_URL, schema)
