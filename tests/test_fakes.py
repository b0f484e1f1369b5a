"""The in-memory fakes used by service unit tests offer exactly what the SQL repositories offer."""

from __future__ import annotations

import inspect

import pytest

from bot.storage import repositories
from tests import fakes

PAIRS = [
    (repositories.SchoolRepository, fakes.FakeSchoolRepository),
    (repositories.CheckInRepository, fakes.FakeCheckInRepository),
    (repositories.CounterRepository, fakes.FakeCounterRepository),
    (repositories.ScanRepository, fakes.FakeScanRepository),
    (repositories.CoordinatorRepository, fakes.FakeCoordinatorRepository),
    (repositories.MemberRepository, fakes.FakeMemberRepository),
    (repositories.ReleaseRepository, fakes.FakeReleaseRepository),
]


def _public(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(cls).items()
        if callable(member) and not name.startswith("_")
    }


@pytest.mark.parametrize(("real", "fake"), PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_fake_has_the_same_methods_and_parameters(real: type, fake: type) -> None:
    real_methods, fake_methods = _public(real), _public(fake)
    assert set(fake_methods) == set(real_methods)
    for name, signature in real_methods.items():
        assert list(fake_methods[name].parameters) == list(signature.parameters), name


def test_fake_unit_of_work_rolls_back_without_commit() -> None:
    uow = fakes.FakeUnitOfWork()
    with uow:
        uow.schools.add("School A")
    assert uow.schools.named("School A") is None
    with uow:
        uow.schools.add("School A")
        uow.commit()
    assert uow.schools.named("School A") is not None
    assert uow.commits == 1
