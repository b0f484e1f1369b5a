"""Shared fixtures: a fresh, migrated database per test on real SQLite or PostgreSQL.

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

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def _reset_caches() -> None:
    from bot.services import catalogue
    from bot.settings import get_settings
    from bot.storage import db

    get_settings.cache_clear()
    db.get_engine.cache_clear()
    db._session_factory.cache_clear()
    catalogue.load_tools.cache_clear()


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own var/ directory, secrets and SQLite database."""
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'test.db'}")
    monkeypatch.setenv("PSEUDONYM_SECRET", "test-pseudonym-secret")
    _reset_caches()
    yield tmp_path / "var"
    _reset_caches()


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
def db(isolated_settings: Path) -> str:
    """A migrated SQLite database (the default DATABASE_URL of this test)."""
    from bot.storage.migrate import upgrade

    url = os.environ["DATABASE_URL"]
    upgrade(url)
    return url


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
    _reset_caches()
    try:
        upgrade(url)
        yield url
    finally:
        from bot.storage import db as db_module

        db_module.get_engine(url).dispose()
        _reset_caches()
        _drop_postgres_schema(base, schema)
