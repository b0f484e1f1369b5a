"""Shared fixtures: a fresh, migrated database per test on real SQLite or PostgreSQL.

``settings`` are this test's own (var/ directory, secrets, SQLite file); ``backend`` is
what an entry point would build from them, on a migrated database; ``any_backend`` runs
the same test on SQLite and on PostgreSQL. Nothing global is cached, so nothing is reset.

PostgreSQL tests use TEST_POSTGRES_URL (default: the local server at 127.0.0.1:5432,
database ``test``) and are skipped with a clear message only when no server answers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.backend import Backend
from bot.settings import Settings
from bot.storage.unit_of_work import UnitOfWork

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own var/ directory, secrets and SQLite database (in the environment)."""
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'test.db'}")
    monkeypatch.setenv("PSEUDONYM_SECRET", "test-pseudonym-secret")
    for name in ("APP_ENV", "REST_TOKEN", "TRUSTED_PROXIES"):  # a production shell must not change the tests
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "var"


@pytest.fixture
def settings(isolated_settings: Path) -> Settings:
    """This test's settings, read from its environment as an entry point would."""
    return Settings.from_env()


def postgres_available() -> bool:
    try:
        engine = create_engine(POSTGRES_URL, future=True, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means: no usable server
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not postgres_available():
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL} (set TEST_POSTGRES_URL to run these tests)")
    return POSTGRES_URL


def _fresh_postgres_schema(base_url: str) -> tuple[str, str]:
    """A new empty schema in the test database, and a URL whose search_path points at it."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base_url, future=True)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in base_url else "?"
    return schema, f"{base_url}{sep}options=-csearch_path%3D{schema}"


def _drop_postgres_schema(base_url: str, schema: str) -> None:
    engine = create_engine(base_url, future=True)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def db(settings: Settings) -> str:
    """A migrated SQLite database (the DATABASE_URL of this test)."""
    from bot.storage.migrate import upgrade

    upgrade(settings.database_url)
    return settings.database_url


@pytest.fixture
def backend(db: str, settings: Settings) -> Iterator[Backend]:
    """Settings and a migrated SQLite database, as the web app or the action server holds them."""
    built = Backend.from_settings(settings)
    yield built
    built.database.dispose()


@pytest.fixture
def uow(backend: Backend) -> UnitOfWork:
    return backend.uow()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, isolated_settings: Path) -> Iterator[str]:
    """The same test on a migrated SQLite and a migrated PostgreSQL database."""
    from bot.storage.migrate import upgrade

    if request.param == "sqlite":
        url = os.environ["DATABASE_URL"]
        upgrade(url)
        yield url
        return
    base = request.getfixturevalue("postgres_url")
    schema, url = _fresh_postgres_schema(base)
    monkeypatch.setenv("DATABASE_URL", url)
    try:
        upgrade(url)
        yield url
    finally:
        _drop_postgres_schema(base, schema)


@pytest.fixture
def any_backend(any_db: str) -> Iterator[Backend]:
    """A backend on a migrated SQLite database and, as a second run, on PostgreSQL."""
    built = Backend.from_settings(Settings.from_env())
    assert built.settings.database_url == any_db
    yield built
    built.database.dispose()
