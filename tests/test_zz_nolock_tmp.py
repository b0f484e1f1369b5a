import contextlib
import bot.storage.migrate as m
from tests.test_upgrade import *  # noqa
from tests.test_upgrade import empty_db  # noqa

@pytest.fixture(autouse=True)
def nolock(monkeypatch):
    monkeypatch.setattr(m, "database_lock", lambda *a, **k: contextlib.nullcontext(True))
