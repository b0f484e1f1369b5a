"""Demo data: the demo school on first start, and synthetic check-ins for demos and benchmarks.

Everything made here is marked: schools and teams have ``is_demo=True`` and synthetic
check-ins have a ``person_key`` starting with ``demo-`` (real keys are 64 hex digits), so
demo rows can be found and removed without touching anything a real person entered.
Fundament-scans and 👍/👎 counts belong to the demo school and its teams, so they are demo
data as a whole.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from werkzeug.security import generate_password_hash

from bot.backend import Backend
from bot.services.catalogue import topic_labels
from bot.services.coordinators import generate_password
from bot.services.links import member_link, member_token, token_hash
from bot.services.release import frozen, last_ended_week
from bot.services.scan import clean_answers
from bot.services.teams import new_code
from bot.services.topics import FALLBACK, OUT_OF_SCOPE
from bot.storage.models import Member, School, Team, utcnow
from bot.storage.repositories import RawDim, RawWeek
from bot.storage.unit_of_work import UnitOfWork
from bot.vocabulary import DIMENSIONS, IsoWeek, last_weeks

DEMO_SCHOOL = "Demoschool De Regenboog (DEMO)"
DEMO_TEAM = "Demoteam bovenbouw (DEMO)"
DEMO_TEAM_2 = "Demoteam onderbouw (DEMO)"
DEMO_EMAIL = "demo-coordinator@example.org"
#: The demo roster's e-mail domain (example.org is reserved: mail to it never leaves the machine).
DEMO_DOMAIN = "demoschool.example.org"
#: Prefix of the person_key of every synthetic check-in.
DEMO_KEY_PREFIX = "demo-"

Progress = Callable[[int, int, int], None]


def demo_person_key(*parts: object) -> str:
    """A 64-character key for a synthetic person, recognisable by its ``demo-`` prefix."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode("utf-8")).hexdigest()
    return (DEMO_KEY_PREFIX + digest)[:64]


def _clamp(value: float) -> int:
    return min(5, max(1, round(value)))


def scores_with_mean(rng: random.Random, n: int, mean: float) -> list[int]:
    """``n`` plausible scores 1-5 whose average is ``mean`` (to 1/n), spread realistically."""
    scores = [_clamp(rng.gauss(mean, 0.8)) for _ in range(n)]
    target = min(5 * n, max(n, round(mean * n)))
    while sum(scores) != target:
        step = 1 if sum(scores) < target else -1
        options = [i for i, s in enumerate(scores) if 1 <= s + step <= 5]
        scores[rng.choice(options)] += step
    return scores


# --------------------------------------------------------------------------- first start

#: The demo team's story over 8 weeks (oldest first): respondents and the mean per dimension.
#: Week 4 has only 4 respondents, so the dashboard shows the suppression notice and hides
#: the school total of that week; werkdruk drops three weeks in a row to a low 2.5.
_DEMO_STORY = {
    DEMO_TEAM: {
        "size": 12,
        "respondents": [9, 10, 9, 4, 10, 9, 10, 11],
        "energie": [3.6, 3.5, 3.6, 3.0, 3.4, 3.3, 3.4, 3.2],
        "werkdruk": [3.4, 3.3, 3.5, 3.0, 3.6, 3.3, 3.0, 2.5],
        "verbinding": [4.1, 4.2, 4.0, 3.8, 4.2, 4.3, 4.1, 4.3],
        "waardering": [3.2, 3.3, 3.1, 3.0, 3.3, 3.2, 3.4, 3.3],
        "plezier": [3.8, 3.7, 3.9, 3.5, 3.8, 3.9, 3.6, 3.7],
        "skipped": {},
        "topics": {
            7: {"werkdruk": 5, "fundament_onboarding": 3, "amplitie": 2, "piramide": 1, FALLBACK: 2, OUT_OF_SCOPE: 1},
            6: {"werkdruk": 3, "healthy_mind_platter": 3, FALLBACK: 1},
            5: {"fundament_maatje": 4, "uitval": 1},
        },
        # 👍/👎 per week index and topic. Over both teams: three topics with 5 or more
        # reactions are shown, three with fewer are hidden.
        "feedback": {
            7: {"werkdruk": (3, 1), "fundament_onboarding": (3, 0), "amplitie": (1, 0)},
            6: {"werkdruk": (2, 1), "healthy_mind_platter": (1, 2)},
            5: {"fundament_maatje": (3, 0)},
        },
    },
    DEMO_TEAM_2: {
        "size": 9,
        "respondents": [6, 7, 6, 5, 7, 6, 7, 6],
        "energie": [3.5, 3.6, 3.4, 3.6, 3.5, 3.7, 3.6, 3.7],
        "werkdruk": [3.2, 3.1, 3.3, 3.2, 3.4, 3.3, 3.5, 3.4],
        "verbinding": [3.9, 3.8, 4.0, 3.9, 4.0, 3.8, 3.9, 4.0],
        "waardering": [3.6, 3.5, 3.7, 3.6, 3.5, 3.6, 3.6, 3.7],
        "plezier": [4.1, 4.0, 4.2, 4.1, 4.0, 4.2, 4.1, 4.2],
        # Week index 5: two of the six skip the waardering question -> 4 answers, hidden.
        "skipped": {(5, "waardering"): 2},
        "topics": {7: {"healthy_mind_platter": 3, "fundament_verbinding": 4, FALLBACK: 1}},
        "feedback": {
            7: {"healthy_mind_platter": (2, 1), "fundament_verbinding": (2, 0)},
            6: {"fundament_onboarding": (1, 1)},
        },
    },
}

#: The demo school's fundament-scans: weeks before this week, and the answers
#: (2 staat goed, 1 kan beter, 0 ontbreekt, None skipped). Four months on, inwerken,
#: the maatje and the green layer of the pyramid got better; techniek slipped.
_DEMO_SCANS = (
    (
        17,
        {"visie": 2, "leiderschap": 1, "inwerken": 0, "maatje": 0, "waarderingsgesprekken": 1, "professionalisering": 1,
         "techniek": 2, "verbinding": 2, "efficacy": 1, "groen": 0, "geel": 1, "rood": 2},
    ),
    (
        2,
        {"visie": 2, "leiderschap": 1, "inwerken": 1, "maatje": 2, "waarderingsgesprekken": 1, "professionalisering": 2,
         "techniek": 1, "verbinding": 2, "efficacy": None, "groen": 1, "geel": 1, "rood": 2},
    ),
)  # fmt: skip


def _insert_demo_story(uow: UnitOfWork, team_ids: dict[str, int], until: IsoWeek) -> int:
    """Insert the scripted demo check-ins, topic and feedback counts; returns the number of check-ins."""
    weeks = last_weeks(8, until)
    rng = random.Random(2024)  # noqa: S311 - synthetic demo data, not security
    rows: list[dict] = []
    topic_rows: list[dict] = []
    feedback_rows: list[dict] = []
    for team_name, story in _DEMO_STORY.items():
        team_id = team_ids[team_name]
        members = [demo_person_key("ensure_demo", team_name, m) for m in range(story["size"])]
        for i, week in enumerate(weeks):
            n = story["respondents"][i]
            people = rng.sample(members, n)
            per_dim: dict[str, list[int | None]] = {d: list(scores_with_mean(rng, n, story[d][i])) for d in DIMENSIONS}
            for (week_index, dim), skipped in story["skipped"].items():
                if week_index == i:
                    per_dim[dim][:skipped] = [None] * skipped
            for j, key in enumerate(people):
                rows.append(
                    {
                        "team_id": team_id,
                        "person_key": key,
                        "iso_year": week.year,
                        "iso_week": week.week,
                        **{d: per_dim[d][j] for d in DIMENSIONS},
                    }
                )
            for topic, count in story["topics"].get(i, {}).items():
                topic_rows.append(
                    {"team_id": team_id, "iso_year": week.year, "iso_week": week.week, "topic": topic, "count": count}
                )
            for topic, (up, down) in story["feedback"].get(i, {}).items():
                feedback_rows.append(
                    {
                        "team_id": team_id,
                        "iso_year": week.year,
                        "iso_week": week.week,
                        "topic": topic,
                        "helpful": up,
                        "not_helpful": down,
                    }
                )
    uow.checkins.add_many(rows)
    uow.counters.add_many(topic_rows, feedback_rows)
    # The story's weeks are closed: release them, as the weekly job would have done.
    sizes = {team_ids[name]: story["size"] for name, story in _DEMO_STORY.items()}
    for team_id in team_ids.values():
        for week in weeks:
            mine = [r for r in rows if r["team_id"] == team_id and (r["iso_year"], r["iso_week"]) == week]
            raw = RawWeek(len(mine), {d: RawDim.of(r[d] for r in mine) for d in DIMENSIONS})
            uow.releases.add(frozen(team_id, week, raw, sizes[team_id], utcnow()))
    return len(rows)


def _insert_demo_scans(uow: UnitOfWork, school_id: int, until: IsoWeek) -> None:
    """The demo school's two fundament-scans, on a Wednesday afternoon some weeks ago."""
    wednesday = datetime.combine(until.monday(), datetime.min.time(), timezone.utc) + timedelta(days=2, hours=14)
    for weeks_ago, answers in _DEMO_SCANS:
        uow.scans.add(school_id, clean_answers(answers), wednesday - timedelta(weeks=weeks_ago))


def _add_demo_member(uow: UnitOfWork, team_id: int, email: str, added: datetime, link_secret: str) -> None:
    member = uow.members.add(
        Member(
            team_id=team_id,
            email=email,
            token_version=1,
            added_at=added,
            counts_from=IsoWeek.of(added.date()).monday(),
            paused=False,
        )
    )
    member.token_hash = token_hash(member_token(member.id, 1, link_secret))


def refresh_demo_data(uow: UnitOfWork, until: IsoWeek | None = None) -> bool:
    """Give the demo school two teams, the 8 most recent closed weeks of demo check-ins
    (released, as the weekly job does), 👍/👎 counts and two scans.

    Runs on every start: when the last closed week is not released for the demo team yet
    (first start, or the demo data has aged), the demo rows - check-ins with a ``demo-``
    key, the demo teams' released weeks, topic and feedback counts, and the demo school's
    fundament-scans - are replaced. Returns True when data was written.
    """
    now = until or last_ended_week(date.today())
    with uow:
        school = uow.schools.named(DEMO_SCHOOL)
        if school is None or not school.is_demo:
            return False
        teams = {t.name: t for t in school.teams if t.is_demo}
        if DEMO_TEAM not in teams:
            return False
        if DEMO_TEAM_2 not in teams:
            size = _DEMO_STORY[DEMO_TEAM_2]["size"]
            teams[DEMO_TEAM_2] = uow.schools.add_team(school, DEMO_TEAM_2, new_code(), size, is_demo=True)
        team_ids = {name: teams[name].id for name in _DEMO_STORY}
        if uow.releases.released([team_ids[DEMO_TEAM]], [now]):
            return False
        ids = list(team_ids.values())
        uow.checkins.delete_with_prefix(ids, DEMO_KEY_PREFIX)
        uow.counters.delete_teams(ids)
        uow.releases.delete_teams(ids)
        uow.scans.delete_school(school.id)
        _insert_demo_story(uow, team_ids, now)
        _insert_demo_scans(uow, school.id, now)
        uow.commit()
    return True


def ensure_demo(backend: Backend) -> str:
    """On an empty database, create a clearly marked demo school, two teams and a coordinator.

    Also keeps the demo check-ins recent (see :func:`refresh_demo_data`), so the dashboard
    shows trends right away. Returns the text to print: how to try everything, or why
    nothing was created.
    """
    settings = backend.settings
    if not settings.demo_data:
        return "[demo] DEMO_DATA is off: no demo data. Create a team with `python -m bot team create`."
    info_file = settings.var_dir / "demo.json"
    uow = backend.uow()
    with uow:
        if uow.schools.count_teams() == 0:
            school = uow.schools.add(DEMO_SCHOOL, is_demo=True)
            uow.schools.set_domains(school.id, [DEMO_DOMAIN])
            started = utcnow() - timedelta(weeks=9)
            for t, name in enumerate((DEMO_TEAM, DEMO_TEAM_2), start=1):
                team = uow.schools.add_team(school, name, new_code(), _DEMO_STORY[name]["size"], is_demo=True)
                team.first_import_at = started
                for m in range(1, _DEMO_STORY[name]["size"] + 1):
                    _add_demo_member(uow, team.id, f"leraar{t}{m:02d}@{DEMO_DOMAIN}", started, settings.link_secret)
            password = generate_password()
            uow.coordinators.add(school, DEMO_EMAIL, generate_password_hash(password), is_demo=True)
            uow.commit()
            info_file.parent.mkdir(parents=True, exist_ok=True)
            info_file.write_text(json.dumps({"email": DEMO_EMAIL, "password": password}))
            info_file.chmod(0o600)
    if not info_file.exists():
        return "[demo] the database already has teams; no demo data created."
    refresh_demo_data(uow)
    demo = json.loads(info_file.read_text())
    with uow:
        member = uow.members.with_email(f"leraar101@{DEMO_DOMAIN}")
        link = (
            member_link(settings.public_base_url, member.id, member.token_version, settings.link_secret)
            if member
            else "?"
        )
        team = uow.schools.team(member.team_id) if member else None
        code = team.code if team else "?"
    base = settings.public_base_url
    return (
        "\n=== Try it (DEMO DATA, marked as such; turn off with DEMO_DATA=false) ===\n"
        f"  Check in as a demo teacher (open on two devices: one voice): {link}\n"
        f"  Every mail (invitations, reminders) is written to {settings.mail_dir}/ as an .eml file\n"
        f"  Ask questions without a link:  {base}/chat?team={code}\n"
        f"  Coordinator login:   {base}/dashboard  e-mail {demo['email']}  password {demo['password']}\n"
        f'  REST:  curl -s localhost:5005/webhooks/rest/webhook -d \'{{"sender":"a","message":"hoi"}}\'\n'
    )


# --------------------------------------------------------------------------- demo-seed


@dataclass(frozen=True)
class SeedResult:
    schools: int
    teams: int
    checkins: int
    topic_counts: int
    seconds: float


def _create_seed_teams(uow: UnitOfWork, n_teams: int, members: int, seed: int, teams_per_school: int) -> list[int]:
    """Create the demo schools and teams in one transaction; returns the team ids."""
    n_schools = -(-n_teams // teams_per_school)
    names = [f"Demo-seed {seed}: school {i + 1} (DEMO)" for i in range(n_schools)]
    with uow:
        taken = uow.schools.existing_names(names)
        if taken:
            raise ValueError(
                f"School {taken[0]!r} exists already: demo data with seed {seed} was made before; use another --seed."
            )
        schools: list[School] = [uow.schools.add(name, is_demo=True) for name in names]
        teams: list[Team] = [
            uow.schools.add_team(
                schools[i // teams_per_school], f"Team {i % teams_per_school + 1} (DEMO)", new_code(), members, True
            )
            for i in range(n_teams)
        ]
        ids = [t.id for t in teams]
        uow.commit()
    return ids


def _team_rows(rng: random.Random, team_id: int, seed: int, members: int, weeks: list[IsoWeek]):
    """Synthetic check-ins of one team: a base level and a slow drift per dimension,
    a personal offset per member, weekly participation, now and then a skipped item."""
    base = {d: rng.uniform(2.7, 4.1) for d in DIMENSIONS}
    drift = {d: rng.gauss(0, 0.04) for d in DIMENSIONS}
    turnout = rng.uniform(0.55, 0.95)
    people = [
        (demo_person_key("seed", seed, team_id, m), {d: rng.gauss(0, 0.45) for d in DIMENSIONS}) for m in range(members)
    ]
    walk = dict.fromkeys(DIMENSIONS, 0.0)
    for w, week in enumerate(weeks):
        for d in DIMENSIONS:
            walk[d] += rng.gauss(0, 0.08)
        level = {d: base[d] + drift[d] * w + walk[d] for d in DIMENSIONS}
        for key, offset in people:
            if rng.random() > turnout:
                continue
            row = {"team_id": team_id, "person_key": key, "iso_year": week.year, "iso_week": week.week}
            for d in DIMENSIONS:
                row[d] = None if rng.random() < 0.04 else _clamp(rng.gauss(level[d] + offset[d], 0.55))
            yield row


def _topic_rows(rng: random.Random, team_id: int, weeks: list[IsoWeek], topics: list[str]):
    for week in weeks:
        counts: dict[str, int] = {}
        if rng.random() < 0.7:
            for topic in rng.sample(topics, rng.randint(1, 4)):
                counts[topic] = 1 + int(rng.expovariate(0.5))
        if rng.random() < 0.5:
            counts[FALLBACK] = rng.randint(1, 3)
        if rng.random() < 0.3:
            counts[OUT_OF_SCOPE] = rng.randint(1, 2)
        for topic, count in counts.items():
            yield {"team_id": team_id, "iso_year": week.year, "iso_week": week.week, "topic": topic, "count": count}


def demo_seed(
    uow: UnitOfWork,
    n_teams: int,
    members: int,
    n_weeks: int,
    seed: int,
    teams_per_school: int = 8,
    batch_size: int = 20_000,
    until: IsoWeek | None = None,
    progress: Progress | None = None,
) -> SeedResult:
    """Fill the database with realistic synthetic check-ins and topic counts (all marked demo).

    Inserts with ``executemany`` in batches of ``batch_size`` rows, one transaction
    per batch; ``progress(teams_done, teams_total, checkins_so_far)`` is called per batch.
    """
    if min(n_teams, members, n_weeks, teams_per_school, batch_size) < 1:
        raise ValueError("--teams, --members, --weeks, --teams-per-school and the batch size must be at least 1.")
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311 - synthetic demo data, not security
    weeks = last_weeks(n_weeks, until)
    team_ids = _create_seed_teams(uow, n_teams, members, seed, teams_per_school)
    topics = sorted(topic_labels())
    checkins = topic_total = 0
    batch: list[dict] = []
    topic_batch: list[dict] = []

    def flush() -> None:
        nonlocal checkins, topic_total
        with uow:
            uow.checkins.add_many(batch)
            uow.counters.add_many(topic_batch)
            uow.commit()
        checkins += len(batch)
        topic_total += len(topic_batch)
        batch.clear()
        topic_batch.clear()

    for done, team_id in enumerate(team_ids, start=1):
        for row in _team_rows(rng, team_id, seed, members, weeks):
            batch.append(row)
            if len(batch) >= batch_size:
                flush()
                if progress:
                    progress(done - 1, len(team_ids), checkins)
        topic_batch.extend(_topic_rows(rng, team_id, weeks, topics))
    flush()
    if progress:
        progress(len(team_ids), len(team_ids), checkins)
    n_schools = -(-n_teams // teams_per_school)
    return SeedResult(n_schools, n_teams, checkins, topic_total, time.monotonic() - started)
