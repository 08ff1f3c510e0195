"""A throwaway PostgreSQL server for the test suite, run from the machine's server binaries."""

from __future__ import annotations

import atexit
import json
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql

DEBIAN_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"
_TOOLS = ("initdb", "pg_ctl", "postgres")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_START_ATTEMPTS = 3
_LOG_TAIL_LINES = 30

# Runs beside the test process and cleans up when that process is gone however it ended
# (SIGKILL and SIGTERM skip atexit); our stdin pipe closing is how it notices.
_WATCHDOG = """
import json, os, shutil, subprocess, sys
cfg = json.loads(sys.argv[1])
sys.stdin.buffer.read()
if os.path.exists(os.path.join(cfg["data"], "postmaster.pid")):
    subprocess.run(
        [cfg["pg_ctl"], "stop", "-D", cfg["data"], "-m", "immediate", "-w", "-t", "30"],
        user=cfg["user"], group=cfg["group"], extra_groups=cfg["extra_groups"], cwd="/",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
    )
shutil.rmtree(cfg["root"], ignore_errors=True)
"""


class PgServerError(RuntimeError):
    """The test PostgreSQL server could not be set up, started or used."""


def _has_tools(directory: Path) -> bool:
    return all(os.access(directory / tool, os.X_OK) for tool in _TOOLS)


def _version_key(bin_dir: Path) -> tuple[int, ...]:
    # Debian lays versions out as /usr/lib/postgresql/<version>/bin; "9.6" < "15" numerically.
    return tuple(int(part) for part in re.findall(r"\d+", bin_dir.parent.name))


def find_pg_bin(*, path: str | None = None, debian_root: Path = DEBIAN_ROOT) -> Path | None:
    """The directory holding initdb, pg_ctl and postgres: PATH's first, else Debian's newest."""
    on_path = shutil.which("pg_ctl", path=path)
    if on_path:
        # /usr/local/bin/pg_ctl may be a lone symlink; its siblings live where it points.
        directory = Path(on_path).resolve().parent
        if _has_tools(directory):
            return directory
    if not debian_root.is_dir():
        return None
    candidates = [d / "bin" for d in debian_root.iterdir() if _has_tools(d / "bin")]
    return max(candidates, key=_version_key, default=None)


def ci_requires_postgres(environ: Mapping[str, str] | None = None) -> bool:
    """Whether CI is set, so that a missing PostgreSQL is a failure rather than a skip."""
    value = (os.environ if environ is None else environ).get("CI", "").strip().lower()
    return value not in ("", "0", "false")


def require_pg_bin() -> Path:
    """The server binaries' directory; skip the calling test without them (fail it on CI)."""
    import pytest  # only here, so the server class works outside pytest too

    bin_dir = find_pg_bin()
    if bin_dir is not None:
        return bin_dir
    if ci_requires_postgres():
        pytest.fail(
            "CI requires PostgreSQL, but its server binaries (initdb, pg_ctl, postgres) were not "
            f"found on PATH or under {DEBIAN_ROOT}/*/bin: install Debian's postgresql package",
            pytrace=False,
        )
    pytest.skip("PostgreSQL server binaries not found")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _world_traversable(directory: Path) -> bool:
    return all(p.stat().st_mode & stat.S_IXOTH for p in (directory, *directory.parents))


def _quote(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


class PgServer:
    """One PostgreSQL cluster in a fresh temp directory, on 127.0.0.1 with trust auth."""

    def __init__(
        self,
        bin_dir: Path | None = None,
        *,
        settings: Mapping[str, object] | None = None,
        start_timeout: int = 60,
    ) -> None:
        found = bin_dir or find_pg_bin()
        if found is None:
            raise PgServerError("PostgreSQL server binaries not found")
        self.bin_dir = Path(found)
        self.settings = dict(settings or {})
        self.start_timeout = start_timeout
        self.port: int | None = None
        self.root: Path | None = None
        self._owner_pid = os.getpid()
        self._watchdog: subprocess.Popen[bytes] | None = None
        # postgres refuses to run as root: hand the cluster to the postgres system user.
        self._account = pwd.getpwnam(SUPERUSER) if os.geteuid() == 0 else None

    # -- paths and helpers ----------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self._root() / "data"

    @property
    def log_path(self) -> Path:
        return self._root() / "postgres.log"

    @property
    def socket_dir(self) -> Path:
        return self._root() / "socket"

    def _root(self) -> Path:
        if self.root is None:
            raise PgServerError("the PostgreSQL test server is not running")
        return self.root

    def _user_args(self) -> dict[str, object]:
        if self._account is None:
            return {}
        return {"user": self._account.pw_uid, "group": self._account.pw_gid, "extra_groups": []}

    def _env(self) -> dict[str, str]:
        # Stray PGDATA/PGPORT/PGHOST would point the tools elsewhere; English logs are greppable.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        return env

    def _run(self, *args: str, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            cwd=cwd,
            env=self._env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
            **self._user_args(),  # type: ignore[arg-type]
        )

    def _log_tail(self, since: int = 0) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(since)
                lines = log.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return "(no server log)"
        return "\n".join(lines[-_LOG_TAIL_LINES:]) or "(server log is empty)"

    # -- life cycle -----------------------------------------------------------------------

    def start(self) -> PgServer:
        """Create the cluster and start the server; idempotent."""
        if self.port is not None:
            return self
        parent = Path(tempfile.gettempdir())
        if self._account is not None and not _world_traversable(parent):
            parent = Path("/tmp")  # the postgres user must be able to reach its directory
        self.root = Path(tempfile.mkdtemp(prefix="duban-pg-", dir=parent))
        atexit.register(self._stop_at_exit)
        try:
            if self._account is not None:
                os.chown(self.root, self._account.pw_uid, self._account.pw_gid)
            self._initdb()
            self._configure()
            self._launch()
            self._start_watchdog()
        except BaseException:
            self.stop()
            raise
        return self

    def _initdb(self) -> None:
        result = self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            cwd=self._root(),
            timeout=120,
        )
        if result.returncode != 0:
            raise PgServerError(f"initdb failed (exit {result.returncode}):\n{result.stdout}")

    def _configure(self) -> None:
        self.socket_dir.mkdir()
        if self._account is not None:
            os.chown(self.socket_dir, self._account.pw_uid, self._account.pw_gid)
        settings: dict[str, object] = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": self.socket_dir,
            # A test cluster is thrown away: durability only costs time.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "timezone": "UTC",
            **self.settings,
        }
        lines = [f"{name} = {_quote(value)}" for name, value in settings.items()]
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# duban test server\n" + "\n".join(lines) + "\n")
        # Replaces initdb's file: TCP from 127.0.0.1 only, no socket or ::1 logins.
        (self.data_dir / "pg_hba.conf").write_text(
            "host all all 127.0.0.1/32 trust\n", encoding="utf-8"
        )

    def _launch(self) -> None:
        for _ in range(_START_ATTEMPTS):
            port = _free_port()
            log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
            result = self._run(
                str(self.bin_dir / "pg_ctl"),
                "start",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_path),
                "-w",
                "-t",
                str(self.start_timeout),
                "-o",
                f"-p {port}",
                cwd=self._root(),
                timeout=self.start_timeout + 30,
            )
            if result.returncode == 0:
                self.port = port
                return
            tail = self._log_tail(log_start)
            # Someone took the free port between our probe and the bind: try another one.
            if "could not bind" not in tail and "already in use" not in tail:
                break
        raise PgServerError(
            f"PostgreSQL did not start (pg_ctl exit {result.returncode}):\n{result.stdout}"
            f"\n--- {self.log_path} (tail) ---\n{tail}"
        )

    def _start_watchdog(self) -> None:
        account = self._account
        config = {
            "pg_ctl": str(self.bin_dir / "pg_ctl"),
            "data": str(self.data_dir),
            "root": str(self._root()),
            "user": account.pw_uid if account else None,
            "group": account.pw_gid if account else None,
            "extra_groups": [] if account else None,
        }
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd="/",
            env=self._env(),
            # Its own session, so a Ctrl-C or a group kill aimed at the tests leaves it to clean up.
            start_new_session=True,
        )

    def stop(self) -> None:
        """Stop the server and delete its directory; idempotent."""
        atexit.unregister(self._stop_at_exit)
        root, self.root, self.port = self.root, None, None
        if root is not None:
            data = root / "data"
            if (data / "postmaster.pid").exists():
                pg_ctl = str(self.bin_dir / "pg_ctl")
                for mode in ("fast", "immediate"):
                    result = self._run(
                        pg_ctl,
                        "stop",
                        "-D",
                        str(data),
                        "-m",
                        mode,
                        "-w",
                        "-t",
                        "30",
                        cwd=root,
                        timeout=60,
                    )
                    if result.returncode == 0:
                        break
            shutil.rmtree(root, ignore_errors=True)
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:
            if watchdog.stdin is not None:
                watchdog.stdin.close()
            try:
                watchdog.wait(timeout=30)
            except subprocess.TimeoutExpired:
                watchdog.kill()
                watchdog.wait()

    def _stop_at_exit(self) -> None:
        # A forked child inherits this hook but not the server.
        if os.getpid() == self._owner_pid:
            self.stop()

    def __enter__(self) -> PgServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- databases ------------------------------------------------------------------------

    def url(self, dbname: str = "postgres") -> str:
        """The SQLAlchemy URL of a database on this server."""
        if self.port is None:
            raise PgServerError("the PostgreSQL test server is not running")
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        """A plain autocommit psycopg connection, for administration."""
        if self.port is None:
            raise PgServerError("the PostgreSQL test server is not running")
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=SUPERUSER,
            dbname=dbname,
            autocommit=True,
            connect_timeout=10,
        )

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create a database (empty, or a copy of ``template``) and return its URL."""
        for given in (name, template or name):
            if not _NAME.match(given):
                raise ValueError(f"{given!r} is not a plain database name (letters, digits, _)")
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            # FILE_COPY copies the template's files at once; the default (WAL_LOG) writes
            # every block through the WAL, twice as slow for a small schema like ours.
            statement += sql.SQL(" TEMPLATE {} STRATEGY FILE_COPY").format(sql.Identifier(template))
        with self.connect() as conn:
            conn.execute(statement)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, cutting off any connections still open to it."""
        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
