"""Service unit tests on the in-memory FakeUnitOfWork (tests/fakes.py): no database.

Each use case is one transaction: these tests check what it writes, that it commits
exactly once when it writes (``uow.commits``), and that it commits nothing - and leaves
nothing behind - when it refuses. The same services run on real SQLite and PostgreSQL in
test_storage.py, test_signals.py, test_feedback_service.py and test_scan_service.py.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy.exc import IntegrityError

from bot.services import checkin, coordinators, feedback, scan, signals, teams, topics
from bot.services.links import member_token, token_hash
from bot.services.pseudonym import person_key
from bot.services.roster import member_key
from bot.settings import Settings
from bot.storage.models import CheckIn, Member
from bot.vocabulary import DIMENSIONS, SCAN_ITEMS, STAAT_GOED, IsoWeek, last_weeks
from tests.fakes import FakeUnitOfWork
from tests.test_signals import release

NOW = IsoWeek(2026, 20)
SCORES = {"energie": 4, "werkdruk": 2, "verbinding": 5, "waardering": 3, "plezier": None}
LOW = {**SCORES, "energie": 1}
UNKNOWN_CODE = "ABCDE-FGHJK"

SECRET = "unit-test-pseudonym-secret"


def link(fake: FakeUnitOfWork, team, name: str) -> str:
    """The link hash of roster member ``name`` of ``team`` (added on first use, not counted as a commit)."""
    email = f"{name}@school.nl"
    member = fake.members.with_email(email)
    if member is None:
        member = fake.members.add(
            Member(team_id=team.id, email=email, token_version=1, counts_from=NOW.monday(), paused=False)
        )
        member.token_hash = token_hash(member_token(member.id, 1, "link-secret"))
    return member.token_hash


def fake_member_key(fake: FakeUnitOfWork, link_hash: str) -> str:
    return member_key(fake.members.with_token_hash(link_hash).id, SECRET)


@pytest.fixture
def fake() -> FakeUnitOfWork:
    return FakeUnitOfWork()


def key(settings: Settings, sender_id: str) -> str:
    return person_key(sender_id, settings.pseudonym_secret)


def new_team(uow: FakeUnitOfWork, school: str = "School A", name: str = "Team 1", size: int | None = None):
    """A team made by the service; the commit counter starts again from zero."""
    team = teams.create_team(uow, school, name, size=size)
    uow.commits = 0
    return team


def add_checkins(uow: FakeUnitOfWork, team_id: int, week: IsoWeek, n: int, tag: str = "p", **scores: int) -> None:
    """``n`` people's check-ins in one team-week, written straight into the fake repository.

    The dashboard shows released weeks only: ``release`` freezes them afterwards.
    """
    uow.checkins.add_many(
        [
            {
                "team_id": team_id,
                "person_key": f"{tag}-{team_id}-{week.label()}-{i}",
                "iso_year": week.year,
                "iso_week": week.week,
                **{d: scores.get(d, 3) for d in DIMENSIONS},
            }
            for i in range(n)
        ]
    )


# --------------------------------------------------------------------------- check-ins


def test_save_checkin_writes_and_computes_the_care_pointer_in_one_commit(fake, settings):
    team = new_team(fake)
    me = link(fake, team, "sender-1")
    first = checkin.save_checkin(fake, me, LOW, SECRET, NOW.previous())
    assert (first.week, first.replaced, first.care_pointer) == (NOW.previous(), False, False)
    assert fake.commits == 1
    second = checkin.save_checkin(fake, me, LOW, SECRET, NOW)
    assert (second.week, second.replaced, second.care_pointer) == (NOW, False, True)
    assert fake.commits == 2  # one per check-in, the care pointer included
    [row] = [c for c in fake.checkins.rows if (c.iso_year, c.iso_week) == NOW]
    assert (row.team_id, row.person_key) == (team.id, fake_member_key(fake, me))
    assert {d: getattr(row, d) for d in DIMENSIONS} == LOW


def test_care_pointer_needs_two_consecutive_low_weeks_of_the_same_person(fake, settings):
    team = new_team(fake)
    me = link(fake, team, "sender-1")
    checkin.save_checkin(fake, me, LOW, SECRET, NOW.previous(2))  # a gap: not the week before
    assert not checkin.save_checkin(fake, me, LOW, SECRET, NOW).care_pointer
    checkin.save_checkin(fake, link(fake, team, "sender-2"), LOW, SECRET, NOW.previous())
    assert not checkin.save_checkin(fake, me, {**LOW, "energie": 4}, SECRET, NOW).care_pointer
    assert checkin.save_checkin(fake, link(fake, team, "sender-2"), {"plezier": 2}, SECRET, NOW).care_pointer


def test_care_pointer_and_write_are_one_transaction(fake, settings, monkeypatch):
    """When reading the earlier weeks fails, the new check-in is not stored either."""
    team = new_team(fake)

    def broken(*_args, **_kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(fake.checkins, "of_person", broken)
    with pytest.raises(RuntimeError):
        checkin.save_checkin(fake, link(fake, team, "sender-1"), SCORES, SECRET, NOW)
    assert fake.commits == 0 and fake.checkins.rows == []


def test_an_unknown_or_missing_link_stores_nothing(fake, settings):
    team = new_team(fake)
    link(fake, team, "sender-1")
    fake.commits = 0
    for unknown in ("0" * 64, "nope", "", None):
        with pytest.raises(checkin.UnknownMember):
            checkin.save_checkin(fake, unknown, SCORES, SECRET, NOW)
    assert fake.commits == 0 and fake.checkins.rows == []


def test_all_skipped_or_invalid_scores_store_nothing(fake, settings):
    team = new_team(fake)
    assert checkin.save_checkin(fake, link(fake, team, "s"), dict.fromkeys(DIMENSIONS), SECRET, NOW) is None
    for bad in (0, 6, True, "4", 3.5):
        with pytest.raises(ValueError):
            checkin.save_checkin(fake, link(fake, team, "s"), {**SCORES, "werkdruk": bad}, SECRET, NOW)
    assert fake.commits == 0 and fake.checkins.rows == []


def test_a_second_checkin_in_the_same_week_replaces_the_first(fake, settings):
    team = new_team(fake)
    me = link(fake, team, "sender-1")
    assert not checkin.save_checkin(fake, me, SCORES, SECRET, NOW).replaced
    again = checkin.save_checkin(fake, me, {"energie": 2, "plezier": 5}, SECRET, NOW)
    assert again.replaced and again.week == NOW
    assert fake.commits == 2
    [row] = fake.checkins.rows
    # Every dimension is taken from the new answers: skipped now means skipped.
    assert {d: getattr(row, d) for d in DIMENSIONS} == {
        "energie": 2,
        "werkdruk": None,
        "verbinding": None,
        "waardering": None,
        "plezier": 5,
    }
    # Another week, or another person, is a new row.
    assert not checkin.save_checkin(fake, me, SCORES, SECRET, NOW.next()).replaced
    assert not checkin.save_checkin(fake, link(fake, team, "sender-2"), SCORES, SECRET, NOW).replaced
    assert len(fake.checkins.rows) == 3


def test_a_save_that_lost_a_race_is_retried_as_a_replacement(fake, settings, monkeypatch):
    """Two saves of one person at once: the loser read no row, its insert then hits the unique key."""
    team = new_team(fake)
    me = link(fake, team, "sender-1")
    checkin.save_checkin(fake, me, {"energie": 5}, SECRET, NOW)  # the other save, committed first
    fake.commits = 0
    real_get, real_add = fake.checkins.get, fake.checkins.add
    stale_reads = [None]

    def get(team_id: int, person_key: str, week: IsoWeek) -> CheckIn | None:
        return stale_reads.pop() if stale_reads else real_get(team_id, person_key, week)

    def add(row: CheckIn) -> None:
        """Like the unique key on (team, person, week)."""
        if row not in fake.checkins.rows and real_get(row.team_id, row.person_key, IsoWeek(row.iso_year, row.iso_week)):
            raise IntegrityError("INSERT INTO checkins", {}, Exception("duplicate key"))
        real_add(row)

    monkeypatch.setattr(fake.checkins, "get", get)
    monkeypatch.setattr(fake.checkins, "add", add)
    result = checkin.save_checkin(fake, me, SCORES, SECRET, NOW)
    assert result.replaced and not stale_reads
    assert fake.commits == 1  # the failed attempt committed nothing
    [row] = fake.checkins.rows
    assert {d: getattr(row, d) for d in DIMENSIONS} == SCORES


def test_history_is_newest_first_and_only_mine(fake, settings):
    team = new_team(fake, name="Bovenbouw")
    me = link(fake, team, "sender-1")
    for week in last_weeks(10, NOW):
        checkin.save_checkin(fake, me, SCORES, SECRET, week)
    checkin.save_checkin(fake, link(fake, team, "sender-2"), LOW, SECRET, NOW)
    fake.commits = 0
    mine = checkin.history(fake, fake_member_key(fake, me))
    assert [h.week for h in mine] == [NOW.previous(i) for i in range(8)]  # the default limit
    assert all(h.team_name == "Bovenbouw" and h.scores == SCORES for h in mine)
    assert len(checkin.history(fake, fake_member_key(fake, me), limit=3)) == 3
    assert fake.commits == 0  # reading commits nothing


def test_delete_all_removes_only_that_person_in_one_commit(fake, settings):
    team = new_team(fake)
    me, other = link(fake, team, "sender-1"), link(fake, team, "sender-2")
    checkin.save_checkin(fake, me, SCORES, SECRET, NOW.previous())
    checkin.save_checkin(fake, me, SCORES, SECRET, NOW)
    checkin.save_checkin(fake, other, SCORES, SECRET, NOW)
    fake.commits = 0
    assert checkin.delete_all(fake, fake_member_key(fake, me)) == 2
    assert fake.commits == 1
    assert [c.person_key for c in fake.checkins.rows] == [fake_member_key(fake, other)]
    assert checkin.history(fake, fake_member_key(fake, me)) == []
    assert checkin.delete_all(fake, fake_member_key(fake, me)) == 0


# --------------------------------------------------------------------------- counters


def test_count_topic_counts_for_a_known_team_in_one_commit(fake):
    team = new_team(fake)
    assert topics.count_topic(fake, team.code, "werkdruk", NOW)
    assert topics.count_topic(fake, team.code.lower(), "werkdruk", NOW)
    assert fake.commits == 2
    assert fake.counters.topic_counts(team.id, NOW) == {"werkdruk": 2}


def test_count_topic_for_an_unknown_team_is_false_and_commits_nothing(fake):
    team = new_team(fake)
    for code in (UNKNOWN_CODE, "nope", None):
        assert topics.count_topic(fake, code, "werkdruk", NOW) is False
    with pytest.raises(ValueError):
        topics.count_topic(fake, team.code, "Werkdruk; DROP TABLE", NOW)
    assert fake.commits == 0 and fake.counters.topics == {}


def test_record_feedback_for_a_known_team_and_topic(fake):
    team = new_team(fake)
    assert feedback.record(fake, team.code, "amplitie", True, NOW)
    assert feedback.record(fake, team.code, "amplitie", False, NOW)
    assert fake.commits == 2
    assert fake.counters.feedback == {(team.id, NOW, "amplitie"): [1, 1]}


def test_record_for_an_unknown_team_or_topic_is_false_and_commits_nothing(fake):
    team = new_team(fake)
    assert feedback.record(fake, UNKNOWN_CODE, "amplitie", True, NOW) is False
    assert feedback.record(fake, None, "amplitie", True, NOW) is False
    assert feedback.record(fake, team.code, "no_such_topic", True, NOW) is False
    assert fake.commits == 0 and fake.counters.feedback == {}


def test_school_feedback_applies_the_minimum_group_size(fake, settings):
    team = new_team(fake)
    elsewhere = new_team(fake, school="School B")
    for helpful in (True, True, False, False, False):
        feedback.record(fake, team.code, "werkdruk", helpful, NOW)
    for _ in range(4):
        feedback.record(fake, team.code, "amplitie", True, NOW)
    for _ in range(9):
        feedback.record(fake, elsewhere.code, "piramide", False, NOW)
    view = feedback.school_feedback(fake, team.school_id, settings.min_group, until=NOW)
    assert [(f.topic, f.helpful, f.not_helpful) for f in view.shown] == [("werkdruk", 2, 3)]
    assert view.hidden_topics == 1
    smaller = settings.with_changes(min_group=4)
    view = feedback.school_feedback(fake, team.school_id, smaller.min_group, until=NOW)
    assert [f.topic for f in view.shown] == ["werkdruk", "amplitie"] and view.hidden_topics == 0


# --------------------------------------------------------------------------- teams and coordinators


def test_create_team_creates_the_school_and_team_in_one_commit(fake):
    team = teams.create_team(fake, "  School A ", " Team 1 ", size=12)
    assert fake.commits == 1
    assert (team.school_name, team.name, team.size, team.is_demo) == ("School A", "Team 1", 12, False)
    assert teams.normalize_code(team.code) == team.code
    assert [s.name for s in fake.schools.schools] == ["School A"]
    assert teams.find_team(fake, team.code.lower()) == team
    assert teams.get_team(fake, team.id) == team
    assert teams.find_school_id(fake, "School A") == team.school_id
    assert fake.commits == 1  # look-ups commit nothing


def test_create_team_duplicate_ignoring_case_raises_and_commits_nothing(fake):
    new_team(fake, "School A", "Team 1")
    for name in ("Team 1", "team 1", " TEAM 1 "):
        with pytest.raises(teams.DuplicateTeam):
            teams.create_team(fake, "School A", name)
    assert fake.commits == 0
    assert [t.name for t in fake.schools.teams] == ["Team 1"]
    # The same name in another school is fine.
    other = teams.create_team(fake, "School B", "Team 1")
    assert fake.commits == 1 and other.school_id != fake.schools.teams[0].school_id


def test_create_team_refuses_empty_names_and_sizes_below_one(fake):
    for school, team, size in ((" ", "T", None), ("S", "", None), ("S", "T", 0)):
        with pytest.raises(ValueError):
            teams.create_team(fake, school, team, size=size)
    assert fake.commits == 0 and fake.schools.schools == [] and fake.schools.teams == []


def test_update_team_rotates_the_code_or_sets_the_size(fake):
    team = new_team(fake, size=10)
    rotated = teams.update_team(fake, team.id, rotate_code=True)
    assert rotated.code != team.code and rotated.size == 10
    assert teams.find_team(fake, team.code) is None and teams.find_team(fake, rotated.code) == rotated
    resized = teams.update_team(fake, team.id, size=14)
    assert (resized.code, resized.size) == (rotated.code, 14)
    assert teams.update_team(fake, team.id, size=None).size is None
    assert fake.commits == 3
    with pytest.raises(LookupError):
        teams.update_team(fake, 999_999, rotate_code=True)
    with pytest.raises(ValueError):
        teams.update_team(fake, team.id, size=0)
    assert fake.commits == 3


def test_list_teams_by_name_and_only_of_that_school(fake):
    b = new_team(fake, name="B-team")
    a = new_team(fake, name="A-team")
    new_team(fake, school="School B", name="C-team")
    assert teams.list_teams(fake, a.school_id) == [a, b]
    assert teams.find_school_id(fake, "Nergens") is None


def test_coordinator_accounts(fake):
    info = coordinators.create_coordinator(fake, "School A", " Co@Example.org ", "een-lang-wachtwoord")
    assert fake.commits == 1
    assert (info.email, info.school_name) == ("co@example.org", "School A")
    assert coordinators.authenticate(fake, "CO@example.org", "een-lang-wachtwoord") == info
    assert coordinators.authenticate(fake, "co@example.org", "fout-wachtwoord-123") is None
    assert coordinators.authenticate(fake, "nobody@example.org", "een-lang-wachtwoord") is None
    assert coordinators.get_coordinator(fake, info.id) == info
    for email, password in (
        ("co@example.org", "een-ander-wachtwoord"),
        ("geen-adres", "lang-genoeg-123"),
        ("x@y.nl", "kort"),
    ):
        with pytest.raises(ValueError):
            coordinators.create_coordinator(fake, "School A", email, password)
    assert fake.commits == 1 and len(fake.coordinators.rows) == 1


# --------------------------------------------------------------------------- fundament-scan


def test_save_scan_returns_the_school_name_in_one_transaction(fake):
    team = new_team(fake, school="OBS De Linde")
    answers = {**dict.fromkeys(SCAN_ITEMS, STAAT_GOED), "maatje": None}
    when = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
    saved = scan.save_scan(fake, team.school_id, answers, when=when)
    assert fake.commits == 1
    assert (saved.school_name, saved.created_at, saved.answers) == ("OBS De Linde", when, answers)
    [row] = fake.scans.rows
    assert (row.id, row.school_id) == (saved.id, team.school_id)
    assert scan.school_scans(fake, team.school_id) == [saved]
    assert scan.school_name(fake, team.school_id) == "OBS De Linde"
    assert fake.commits == 1


def test_save_scan_for_an_unknown_school_or_with_bad_answers_stores_nothing(fake):
    team = new_team(fake)
    with pytest.raises(LookupError):
        scan.save_scan(fake, 999_999, {"visie": STAAT_GOED})
    with pytest.raises(ValueError):
        scan.save_scan(fake, team.school_id, {"visie": 3})
    assert fake.commits == 0 and fake.scans.rows == []


# --------------------------------------------------------------------------- signals


def release_weeks(uow: FakeUnitOfWork, team_ids: list[int], weeks: list[IsoWeek]) -> None:
    """Release these team-weeks from the fake check-ins; the commit counter starts again."""
    for team_id in team_ids:
        for week in weeks:
            release(uow, team_id, week)
    uow.commits = 0


def test_only_released_weeks_are_shown(fake, settings):
    team = new_team(fake)
    add_checkins(fake, team.id, NOW, 6)
    ins = signals.team_insights(fake, team.id, settings.min_group, until=NOW)
    assert ins.latest.status == signals.EMPTY and ins.basis_week is None  # stored, not released yet
    release_weeks(fake, [team.id], [NOW])
    add_checkins(fake, team.id, NOW, 3, tag="late")  # late check-ins do not change a released week
    assert signals.team_insights(fake, team.id, settings.min_group, until=NOW).latest.n == 6
    assert fake.commits == 0


def test_team_insights_apply_the_minimum_group_size(fake, settings):
    team = new_team(fake, size=10)
    add_checkins(fake, team.id, NOW, 4, energie=1)
    add_checkins(fake, team.id, NOW.previous(), 5, energie=2)
    release_weeks(fake, [team.id], last_weeks(8, NOW))
    ins = signals.team_insights(fake, team.id, settings.min_group, until=NOW)
    assert settings.min_group == 5 and ins.min_group == 5
    assert ins.latest.status == signals.SUPPRESSED and ins.latest.n is None
    assert all(c.mean is None for c in ins.latest.dims.values())
    before = ins.weeks[-2]
    assert (before.status, before.n, before.participation) == (signals.SHOWN, 5, 0.5)
    assert before.dims["energie"].mean == 2.0
    assert before.dims["energie"].distribution is None  # counts per answer only from 2 x 5
    assert ins.basis_week == NOW.previous()
    assert ins.signals[0].kind == "laatste_week_te_weinig"
    # A smaller minimum (a copy of the settings) shows the four as well.
    small = signals.team_insights(fake, team.id, settings.with_changes(min_group=4).min_group, until=NOW)
    assert small.latest.status == signals.SHOWN and small.latest.n == 4
    assert small.latest.dims["energie"].mean == 1.0
    with pytest.raises(ValueError):
        signals.team_insights(fake, team.id, 2, until=NOW)
    with pytest.raises(LookupError):
        signals.team_insights(fake, 999_999, settings.min_group, until=NOW)
    assert fake.commits == 0


def test_participation_uses_the_roster_size_of_the_released_week(fake, settings):
    team = new_team(fake, size=20)
    add_checkins(fake, team.id, NOW, 5)
    release(fake, team.id, NOW, eligible=10)
    assert signals.team_insights(fake, team.id, settings.min_group, until=NOW).latest.participation == 0.5


def test_team_insights_hide_a_question_with_too_few_answers(fake, settings):
    team = new_team(fake)
    add_checkins(fake, team.id, NOW, 6)
    for row in fake.checkins.rows[:2]:
        row.waardering = None
    release_weeks(fake, [team.id], [NOW])
    latest = signals.team_insights(fake, team.id, settings.min_group, until=NOW).latest
    assert latest.status == signals.SHOWN and latest.n == 6
    assert latest.dims["waardering"].status == signals.SUPPRESSED
    assert latest.dims["energie"].n == 6


def test_team_insights_list_topics_only_for_a_shown_week(fake, settings):
    team = new_team(fake)
    add_checkins(fake, team.id, NOW, 5)
    for _ in range(3):
        topics.count_topic(fake, team.code, "werkdruk", NOW)
    topics.count_topic(fake, team.code, "uitval", NOW)
    small = new_team(fake, name="Team 2")
    add_checkins(fake, small.id, NOW, 4)
    for _ in range(5):
        topics.count_topic(fake, small.code, "werkdruk", NOW)
    release_weeks(fake, [team.id, small.id], [NOW])
    ins = signals.team_insights(fake, team.id, settings.min_group, until=NOW)
    assert [(f.topic, f.count) for f in ins.topics.topics] == [("werkdruk", 3)]
    assert ins.topics.others_hidden is True
    hidden = signals.team_insights(fake, small.id, settings.min_group, until=NOW).topics
    assert hidden.status == signals.SUPPRESSED and hidden.topics == ()


def test_school_overview_applies_the_minimum_group_size_and_the_subtraction_rule(fake, settings):
    a = new_team(fake, name="Team 1", size=10)
    b = new_team(fake, name="Team 2", size=10)
    other = new_team(fake, school="School B", name="Team X")
    add_checkins(fake, a.id, NOW, 8, energie=4)
    add_checkins(fake, b.id, NOW, 3, energie=1)
    add_checkins(fake, a.id, NOW.previous(), 6, energie=4)
    add_checkins(fake, b.id, NOW.previous(), 5, energie=2)
    add_checkins(fake, other.id, NOW.previous(), 9)
    release_weeks(fake, [a.id, b.id, other.id], [NOW.previous(), NOW])
    overview = signals.school_overview(fake, a.school_id, settings.min_group, until=NOW)
    assert (overview.school_name, [t.name for t in overview.teams]) == ("School A", ["Team 1", "Team 2"])
    now = overview.week(NOW)
    assert now.teams[a.id].status == signals.SHOWN and now.teams[b.id].status == signals.SUPPRESSED
    assert now.total.status == signals.SUPPRESSED and now.total.n is None  # 11 - 8 would reveal team 2
    before = overview.week(NOW.previous())
    assert before.total.status == signals.SHOWN and before.total.n == 11  # School B not counted
    assert before.total.dims["energie"].mean == pytest.approx((6 * 4 + 5 * 2) / 11)
    assert before.total.participation == pytest.approx(11 / 20)
    # With a minimum of 3, team 2's three are shown, and so is the total.
    three = signals.school_overview(fake, a.school_id, settings.with_changes(min_group=3).min_group, until=NOW)
    assert three.week(NOW).total.n == 11
    with pytest.raises(LookupError):
        signals.school_overview(fake, 999_999, settings.min_group, until=NOW)
    assert fake.commits == 0
