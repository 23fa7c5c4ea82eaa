"""Real processes for the fault tests: a private redis-server, a private PostgreSQL cluster, granian, db_worker.

Nothing here touches the machine's shared Redis or PostgreSQL: every server is started on a free
loopback port in a temporary directory and stopped by its own process id.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
WEB_SERVER = str(ROOT / "deploy" / "granian_serve.py")  # the deployed web server
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout, interval=0.1, what="condition"):
    """Poll ``predicate`` until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def redis_server_binary():
    return shutil.which("redis-server")


def pg_binaries_missing():
    missing = [name for name in ("initdb", "pg_ctl", "pg_restore", "pg_dump") if not (PG_BIN / name).exists()]
    return ", ".join(str(PG_BIN / name) for name in missing)


class RedisServer:
    """redis-server on a free loopback port, without persistence (as docs/deploy.md allows)."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        log = open(self.workdir / "redis.log", "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.process = subprocess.Popen(
            [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir), "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_until(lambda: self._answers(), 10, 0.02, f"redis-server on port {self.port}")
        return self

    def _answers(self):
        if self.process.poll() is not None:
            raise RuntimeError(f"redis-server exited: {(self.workdir / 'redis.log').read_text()[-500:]}")
        import redis

        try:
            return redis.Redis(port=self.port, socket_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def client(self):
        import redis

        return redis.Redis(port=self.port, socket_timeout=2)

    def kill(self):
        """The server dies (SIGKILL): connections drop, new ones are refused."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def pause(self):
        """The server hangs (SIGSTOP): connections are accepted, nothing answers."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        self.process.send_signal(signal.SIGCONT)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
        self.kill()


class PgCluster:
    """A private PostgreSQL cluster (initdb in a temporary directory owned by postgres, trust auth)."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.data = self.workdir / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0  # root may not run the server; postgres may

    def _run(self, *args, check=True):
        command = [str(a) for a in args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=60)

    def init(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            shutil.chown(self.workdir, "postgres")
        self._run(PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        return self

    def start(self):
        options = (f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-o", options, "-l", self.workdir / "server.log", "-w",
                  "-t", "30", "start")
        return self

    def stop(self, mode="fast"):
        """Stop the server: ``fast`` disconnects every client at once (what a restart does)."""
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "30", "stop", check=False)

    def running(self):
        return self._run(PG_BIN / "pg_ctl", "-D", self.data, "status", check=False).returncode == 0

    def url(self, database):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement, database="postgres"):
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=5) as connection:
            cursor = connection.execute(statement)
            return cursor.fetchall() if cursor.description else None

    def destroy(self):
        if self.data.exists():
            self.stop("immediate")
        shutil.rmtree(self.workdir, ignore_errors=True)


class Process:
    """A child process with its output in a log file; stopped by its own pid."""

    def __init__(self, name, command, env, log_path):
        self.name, self.command, self.env, self.log_path = name, command, env, Path(log_path)
        self.process = None

    def start(self):
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child writes to it
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        log.close()
        return self

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout=20):
        if not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def manage(env, *args, timeout=120, check=True):
    """``manage.py`` with the stack's environment; returns the CompletedProcess."""
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result
