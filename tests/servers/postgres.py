"""A real PostgreSQL server for the tests: Debian's initdb + pg_ctl in a temporary directory.

One server per test session, on a free 127.0.0.1 port, no Unix socket, trust authentication
(only loopback listens) and durability off (fsync, full-page writes), since its data dies with
the session. PostgreSQL refuses to run as root, so under root the server runs as the dedicated
system user `braidflow-pg` (created if missing), which owns the temporary directory. Each test
gets a fresh database (ICU 'en-US' collation) copied from an empty template (`CREATE DATABASE
... TEMPLATE`, a few ms), dropped afterwards. `make install` installs Debian's `postgresql`
when the binaries are missing.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from servers.processes import free_port

SERVER_USER = "braidflow-pg"
SUPERUSER = "braidflow"
TEMPLATE = "braidflow_template"
_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
}


def find_postgres_bin() -> Path | None:
    """The directory holding initdb and pg_ctl: on PATH, else Debian's newest /usr/lib/postgresql/N/bin."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(os.path.realpath(initdb)).parent
    versions = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return versions[-1] if versions else None


@dataclass
class PostgresServer:
    """A running server; `create_database()` hands out fresh, empty databases."""

    port: int
    host: str = "127.0.0.1"
    _admin: Any = None
    _names: Iterator[int] = field(default_factory=itertools.count)

    def url(self, database: str) -> str:
        """The postgresql:// URL of one database of this server."""
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement on the maintenance database, outside any transaction."""
        import psycopg

        if self._admin is None or self._admin.closed:
            self._admin = psycopg.connect(self.url("postgres"), autocommit=True)
        self._admin.execute(sql)

    def create_database(self) -> str:
        """A new empty database (copied from the template); returns its name."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, ending the sessions still connected to it."""
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        if self._admin is not None:
            self._admin.close()


def _server_account() -> pwd.struct_passwd | None:
    """Who runs the server: None (this user) unless we are root, else SERVER_USER."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"  # /usr/sbin may be off PATH
        subprocess.run(
            [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SERVER_USER)


def _run_as(account: pwd.struct_passwd | None, args: list[str], cwd: Path) -> None:
    """Run a server command as `account`; fail the session with its output if it fails."""
    ids: dict[str, Any] = {}
    if account is not None:
        ids = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": str(cwd)}
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, **ids)
    if proc.returncode != 0:
        log = (cwd / "server.log").read_text() if (cwd / "server.log").exists() else ""
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}\n{log}")


class _SigtermInterrupts:
    """While open, SIGTERM (what `timeout` sends) interrupts the session like Ctrl-C does, so
    pytest still tears fixtures down and the server does not outlive its session."""

    def __init__(self) -> None:
        self._previous: Any = None
        self._pid = os.getpid()
        main = threading.current_thread() is threading.main_thread()
        if main and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:  # never replace a handler
            self._previous = signal.signal(signal.SIGTERM, self._interrupt)

    def _interrupt(self, signum: int, frame: object) -> None:
        if os.getpid() != self._pid:  # a process forked by a test dies of SIGTERM as it would
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise KeyboardInterrupt(f"signal {signum}")

    def close(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)
            self._previous = None


def _sigterm_interrupts() -> _SigtermInterrupts:
    return _SigtermInterrupts()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server started for this session in a temporary directory, stopped at its end."""
    bindir = find_postgres_bin()
    if bindir is None:
        pytest.fail("PostgreSQL's initdb and pg_ctl were not found: run `make install`")
    account = _server_account()
    # /tmp, not $TMPDIR: the server's account must be able to reach the directory.
    root = Path(tempfile.mkdtemp(prefix="braidflow-pg-", dir="/tmp" if account else None))
    data = root / "data"
    if account is not None:
        os.chown(root, account.pw_uid, account.pw_gid)
    pg_ctl = str(bindir / "pg_ctl")
    started = False
    stop_on_sigterm = _sigterm_interrupts()
    try:
        _run_as(
            account,
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            root,
        )
        for attempt in range(3):  # another process may take the free port before the server does
            port = free_port()
            options = " ".join(f"-c {key}='{value}'" for key, value in {**_SETTINGS, "port": port}.items())
            try:
                _run_as(
                    account,
                    [
                        pg_ctl,
                        "-D",
                        str(data),
                        "-l",
                        str(root / "server.log"),
                        "-w",
                        "-t",
                        "60",
                        "-o",
                        options,
                        "start",
                    ],
                    root,
                )
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        started = True
        server = PostgresServer(port)
        # A natural-language collation, as most production databases have (case-insensitive
        # first order), so a test catches code that relies on the database's text order.
        server.admin(f"CREATE DATABASE {TEMPLATE} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'")
        yield server
        server.close()
    finally:
        if started:
            _run_as(account, [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], root)
        shutil.rmtree(root, ignore_errors=True)
        stop_on_sigterm.close()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh, empty database on the session's server, dropped after the test."""
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)
