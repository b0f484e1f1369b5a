"""Real respondents on real SQLite and PostgreSQL: the roster, personal links, one voice per
person, and release per closed week. Each attack test replays what a curious coordinator
could do before, and fails without the protection it names.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.services import checkin, release, roster, signals
from bot.services.links import member_token, token_hash
from bot.storage.models import CheckIn
from bot.vocabulary import IsoWeek

SCHOOL = "OBS De Linde"
DOMAIN = "delinde.nl"
# A Wednesday: the week 2026-W20 runs Monday 11 to Sunday 17 May 2026.
WEDNESDAY = datetime(2026, 5, 13, 10, 0, tzinfo=timezone.utc)
WEEK = IsoWeek(2026, 20)
NEXT_MONDAY = datetime(2026, 5, 18, 6, 0, tzinfo=timezone.utc)
ALL_THREES = {"energie": 3, "werkdruk": 3, "verbinding": 3, "waardering": 3, "plezier": 3}


def team_with_roster(backend, n: int, when: datetime = WEDNESDAY) -> tuple[int, list[str]]:
    """A team whose first import (``when``) has ``n`` members; returns its id and their link hashes."""
    from bot.services.teams import create_team

    team = create_team(backend.uow(), SCHOOL, "Bovenbouw")
    roster.set_domains(backend.uow(), SCHOOL, [DOMAIN])
    emails = [f"leraar{i}@{DOMAIN}" for i in range(n)]
    change = roster.add_members(backend.uow(), team.id, "\n".join(emails), "cli", backend.settings.link_secret, when)
    assert len(change.done) == n and not change.errors
    return team.id, hashes(backend, emails)


def hashes(backend, emails: list[str]) -> list[str]:
    with backend.uow() as uow:
        members = [uow.members.with_email(e) for e in emails]
        return [token_hash(member_token(m.id, m.token_version, backend.settings.link_secret)) for m in members]


def check_in(backend, link_hash: str, scores: dict, week: IsoWeek = WEEK):
    return checkin.save_checkin(backend.uow(), link_hash, scores, backend.settings.pseudonym_secret, week)


def shown(backend, team_id: int, week: IsoWeek = WEEK, min_group: int = 5):
    """What the dashboard shows of ``week`` (None: the week is not among the shown weeks at all)."""
    ins = signals.team_insights(backend.uow(), team_id, min_group, until=WEEK.next(3))
    return next((w for w in ins.weeks if w.week == week), None)


def released_row(backend, team_id: int, week: IsoWeek = WEEK):
    with backend.uow() as uow:
        row = uow.releases.released([team_id], [week]).get((team_id, week))
        return None if row is None else (row.eligible, row.respondents, row.energie, row.werkdruk)


# --------------------------------------------------------------------------- roster


def test_roster_import_reports_each_bad_line_and_refuses_other_domains(any_backend):
    team_id, _ = team_with_roster(any_backend, 2)
    paste = "\n".join(
        [
            "nieuw@delinde.nl",
            "geen-adres",
            "iemand@gmail.com",
            "nieuw@delinde.nl",
            "LERAAR0@DELINDE.NL",
            "ok2@delinde.nl",
        ]
    )
    change = roster.add_members(any_backend.uow(), team_id, paste, "ib@delinde.nl", any_backend.settings.link_secret)
    assert change.done == ["nieuw@delinde.nl", "ok2@delinde.nl"]
    assert [(e.line, e.reason) for e in change.errors] == [
        (2, roster.INVALID),
        (3, roster.OUTSIDE_DOMAIN),
        (4, roster.DUPLICATE),
        (5, roster.ALREADY_IN_TEAM),
    ]
    assert change.size == 4


def test_one_address_belongs_to_one_team(any_backend):
    from bot.services.teams import create_team

    first, _ = team_with_roster(any_backend, 1)
    other = create_team(any_backend.uow(), SCHOOL, "Onderbouw")
    change = roster.add_members(
        any_backend.uow(), other.id, f"leraar0@{DOMAIN}", "cli", any_backend.settings.link_secret
    )
    assert change.done == [] and change.errors[0].reason == roster.IN_OTHER_TEAM


def test_a_ten_thousand_line_paste_is_handled(backend):
    team_id, _ = team_with_roster(backend, 1)
    paste = "\n".join(f"p{i}@{DOMAIN}" for i in range(10_000))
    change = roster.add_members(backend.uow(), team_id, paste, "cli", backend.settings.link_secret)
    assert len(change.done) == roster.MAX_MEMBERS - 1
    assert change.size == roster.MAX_MEMBERS
    assert {e.reason for e in change.errors} == {roster.TOO_MANY}


def test_csv_with_header_and_names_and_the_wrong_encoding(backend):
    team_id, _ = team_with_roster(backend, 1)
    csv_text = roster.decode_upload(b'"Naam";"E-mail"\r\n"Jan";"jan@delinde.nl"\r\n"Eva";"eva@delinde.nl"\r\n')
    change = roster.add_members(backend.uow(), team_id, csv_text, "cli", backend.settings.link_secret)
    assert change.done == ["jan@delinde.nl", "eva@delinde.nl"]
    with pytest.raises(roster.RosterFileError):
        roster.decode_upload("Zoë;zoë@delinde.nl".encode("cp1252"))


def test_roster_changes_are_audited_without_the_address(backend):
    team_id, _ = team_with_roster(backend, 1)
    roster.remove_members(
        backend.uow(), team_id, f"leraar0@{DOMAIN}", "ib@delinde.nl", backend.settings.pseudonym_secret
    )
    lines = roster.audit(backend.uow(), team_id)
    assert [(a.action, a.masked_email, a.actor) for a in lines] == [
        ("verwijderd", "l…@delinde.nl", "ib@delinde.nl"),
        ("toegevoegd", "l…@delinde.nl", "cli"),
    ]


def test_domains_are_checked(backend):
    from bot.services.teams import create_team

    create_team(backend.uow(), SCHOOL, "Team")
    with pytest.raises(ValueError):
        roster.set_domains(backend.uow(), SCHOOL, ["niet een domein"])
    assert roster.set_domains(backend.uow(), SCHOOL, ["@DeLinde.nl", "delinde.nl"]) == ["delinde.nl"]


# --------------------------------------------------------------------------- attacks


def test_padding_with_made_up_members_is_visible_and_does_not_count_for_14_days(any_backend):
    """A coordinator adds 4 made-up addresses after the first import and fills them in."""
    team_id, real = team_with_roster(any_backend, 1, WEDNESDAY - timedelta(weeks=3))
    fake_emails = [f"nep{i}@{DOMAIN}" for i in range(4)]
    roster.add_members(
        any_backend.uow(), team_id, "\n".join(fake_emails), "ib", any_backend.settings.link_secret, WEDNESDAY
    )
    for link in hashes(any_backend, fake_emails) + real:
        check_in(any_backend, link, ALL_THREES)
    release.release_ended_weeks(any_backend.uow(), any_backend.settings.pseudonym_secret, NEXT_MONDAY)
    week = shown(any_backend, team_id)
    assert week is not None and not week.shown  # only 1 member counts: below the minimum
    assert released_row(any_backend, team_id)[:2] == (1, 1)
    summary = roster.roster_summary(any_backend.uow(), team_id, WEDNESDAY + timedelta(days=1))
    assert (summary.size, summary.added_recently) == (5, 4)  # what members can ask in the chat


def test_members_added_later_count_from_the_first_week_14_days_on(backend):
    first = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)  # a Monday
    later = datetime(2026, 5, 13, 9, 0, tzinfo=timezone.utc)  # Wednesday of the next week
    assert roster.counts_from(None, first) == IsoWeek(2026, 19).monday()
    assert roster.counts_from(first, first + timedelta(hours=3)) == IsoWeek(2026, 19).monday()
    # 14 days after Wednesday 13 May is Wednesday 27 May: the first week starting after it is W23.
    assert roster.counts_from(first, later) == IsoWeek(2026, 23).monday()


def test_nothing_of_the_running_week_is_shown_until_it_is_released(any_backend):
    """The coordinator reloads after every single check-in of a running week: nothing to difference."""
    team_id, links = team_with_roster(any_backend, 6)
    for i, link in enumerate(links):
        check_in(any_backend, link, {**ALL_THREES, "energie": 1 + i % 5})
        assert shown(any_backend, team_id, min_group=5) is None or not shown(any_backend, team_id).shown
        assert release.release_ended_weeks(any_backend.uow(), any_backend.settings.pseudonym_secret, WEDNESDAY) == []
    released = release.release_ended_weeks(any_backend.uow(), any_backend.settings.pseudonym_secret, NEXT_MONDAY)
    assert [(r.week, r.respondents) for r in released] == [(WEEK, 6)]
    assert shown(any_backend, team_id).shown and shown(any_backend, team_id).n == 6


def test_a_released_week_never_changes_erasure_removes_raw_rows_only(any_backend):
    team_id, links = team_with_roster(any_backend, 5)
    for link in links:
        check_in(any_backend, link, ALL_THREES)
    release.release_ended_weeks(any_backend.uow(), any_backend.settings.pseudonym_secret, NEXT_MONDAY)
    frozen = released_row(any_backend, team_id)
    member = checkin.find_member(any_backend.uow(), links[0], any_backend.settings.pseudonym_secret)
    assert checkin.delete_all(any_backend.uow(), member.person_key) == 1
    with pytest.raises(checkin.WeekReleased):  # a late check-in for the released week
        check_in(any_backend, links[1], {**ALL_THREES, "energie": 5})
    release.release_ended_weeks(
        any_backend.uow(), any_backend.settings.pseudonym_secret, NEXT_MONDAY + timedelta(weeks=1)
    )
    assert released_row(any_backend, team_id) == frozen
    with any_backend.uow() as uow:
        assert uow.checkins.of_person(member.person_key) == []


def test_one_member_on_two_devices_is_one_voice_with_one_history(any_backend):
    team_id, links = team_with_roster(any_backend, 1)
    phone = check_in(any_backend, links[0], ALL_THREES)
    laptop = check_in(any_backend, links[0], {**ALL_THREES, "plezier": 5})
    assert (phone.replaced, laptop.replaced) == (False, True)
    member = checkin.find_member(any_backend.uow(), links[0], any_backend.settings.pseudonym_secret)
    history = checkin.history(any_backend.uow(), member.person_key)
    assert [h.scores["plezier"] for h in history] == [5]


def test_a_removed_member_is_forgotten_and_their_link_stops_working(any_backend):
    team_id, links = team_with_roster(any_backend, 2)
    check_in(any_backend, links[0], ALL_THREES)
    roster.remove_members(any_backend.uow(), team_id, f"leraar0@{DOMAIN}", "ib", any_backend.settings.pseudonym_secret)
    with pytest.raises(checkin.UnknownMember):
        check_in(any_backend, links[0], ALL_THREES)
    with any_backend.uow() as uow:
        assert uow.checkins.of_team_week(team_id, WEEK) == []


def test_raw_check_ins_never_hold_an_address_or_a_token(backend):
    team_id, links = team_with_roster(backend, 1)
    check_in(backend, links[0], ALL_THREES)
    with backend.uow() as uow:
        row = uow.session.query(CheckIn).one()
        assert DOMAIN not in row.person_key and links[0] != row.person_key
        member = uow.members.with_email(f"leraar0@{DOMAIN}")
        assert member.token_hash == links[0]
        assert member_token(member.id, 1, backend.settings.link_secret) not in str(vars(member))


def test_distributions_only_from_twice_the_minimum(any_backend):
    team_id, links = team_with_roster(any_backend, 10)
    for link in links[:9]:
        check_in(any_backend, link, ALL_THREES)
    release.release_ended_weeks(any_backend.uow(), any_backend.settings.pseudonym_secret, NEXT_MONDAY)
    week = shown(any_backend, team_id)
    assert week.shown and week.dims["energie"].distribution is None
    assert shown(any_backend, team_id, min_group=4).dims["energie"].distribution == (0, 0, 9, 0, 0)
