"""deploy/granian_serve.py: the deployed web server's settings, and the server itself on a real socket."""
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PHONE = "13912345678"


@pytest.fixture(scope="module")
def serve():
    spec = importlib.util.spec_from_file_location("granian_serve_under_test", ROOT / "deploy" / "granian_serve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def options(serve, dual_stack=True, cores=2, **environ):
    return serve.server_options(environ, cores=cores, dual_stack=dual_stack)


def refused(serve, **environ):
    with pytest.raises(serve.ConfigurationError) as caught:
        options(serve, **environ)
    return str(caught.value)


# --- settings from the environment --------------------------------------------------------------

def test_defaults_one_dual_stack_socket_workers_from_the_cores_and_warmed_workers(serve):
    config = options(serve)
    assert (config["address"], config["port"]) == ("::", 8000)  # IPv4 and IPv6 (seed requirement D5)
    assert config["workers"] == 3 and config["blocking_threads"] == 4
    assert config["target"] == "cms.granian_worker:warmed_application" and config["factory"] is True
    assert config["respawn_failed_workers"] is True and config["workers_lifetime"] == 6 * 3600
    assert config["workers_kill_timeout"] == 30 and config["websockets"] is False and config["http"] == "1"
    assert config["working_dir"] == ROOT and config["log_access"] is True


def test_without_dual_stack_the_default_is_ipv4(serve):
    assert options(serve, dual_stack=False)["address"] == "0.0.0.0"


def test_gunicorns_pair_of_wildcards_becomes_the_one_dual_stack_socket(serve):
    config = options(serve, BIND="0.0.0.0:8080,[::]:8080")
    assert (config["address"], config["port"]) == ("::", 8080)
    assert "bindv6only" in refused(serve, dual_stack=False, BIND="0.0.0.0:8080,[::]:8080")


def test_dual_stack_follows_the_kernels_bindv6only(tmp_path):
    from cms.listen import dual_stack_available, ipv6_available

    (tmp_path / "v6only").write_text("1\n")
    (tmp_path / "dual").write_text("0\n")
    assert dual_stack_available(tmp_path / "v6only") is False
    assert dual_stack_available(tmp_path / "dual") is ipv6_available()
    assert dual_stack_available(tmp_path / "missing") is False


def test_one_address_of_either_family(serve):
    config = options(serve, BIND="127.0.0.1:8001")
    assert (config["address"], config["port"]) == ("127.0.0.1", 8001)
    assert options(serve, BIND="[::1]:8001")["address"] == "::1"


def test_two_addresses_that_cannot_share_a_socket_are_refused_with_what_to_do(serve):
    message = refused(serve, BIND="127.0.0.1:8001,[::1]:8001")
    assert "只能监听一个地址" in message and "[::]" in message and "gunicorn" in message
    assert "端口" in refused(serve, BIND="localhost")
    assert "端口" in refused(serve, BIND="127.0.0.1:99999")
    assert "BIND" in refused(serve, BIND=" , ")


def test_the_hotline_pool_has_its_own_port_and_size(serve):
    config = options(serve, SERVER_POOL="hotline", cores=1)
    assert config["port"] == 8002 and config["workers"] == 2  # at least 2, however few the cores
    config = options(serve, SERVER_POOL="hotline", HOTLINE_BIND="127.0.0.1:9002", HOTLINE_CONCURRENCY="3",
                     BIND="127.0.0.1:9000")
    assert (config["address"], config["port"], config["workers"]) == ("127.0.0.1", 9002, 3)
    assert options(serve, GUNICORN_POOL="hotline")["port"] == 8002  # the older variable still works


@pytest.mark.parametrize(("name", "value"), [
    ("WEB_CONCURRENCY", "0"), ("WEB_CONCURRENCY", "many"), ("SERVER_THREADS", "-1"), ("SERVER_POOL", "admin"),
    ("LOG_LEVEL", "loud"), ("SERVER_WORKER_LIFETIME", "30"), ("SERVER_GRACEFUL_TIMEOUT", "0"),
])
def test_bad_values_are_refused_naming_the_variable(serve, name, value):
    assert name in refused(serve, **{name: value})


def test_a_refused_setting_is_printed_and_exits_with_status_2_which_systemd_does_not_retry():
    result = subprocess.run([sys.executable, str(ROOT / "deploy" / "granian_serve.py")], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "BIND": "127.0.0.1:1,[::1]:1"})
    assert result.returncode == 2 and "只能监听一个地址" in result.stderr
    for unit in ("zcjd-web.service", "zcjd-hotline.service"):
        assert "RestartPreventExitStatus=2" in (ROOT / "deploy" / "systemd" / unit).read_text()


def test_warm_up_is_wanted_unless_switched_off_by_either_name():
    from cms.worker_start import warm_up_wanted

    assert warm_up_wanted({}) and warm_up_wanted({"SERVER_WARMUP": "1", "GUNICORN_WARMUP": "0"})
    assert not warm_up_wanted({"SERVER_WARMUP": "0"}) and not warm_up_wanted({"GUNICORN_WARMUP": "0"})


def test_the_environment_sets_workers_threads_lifetime_and_warm_up(serve):
    config = options(serve, WEB_CONCURRENCY="5", SERVER_THREADS="2", SERVER_WORKER_LIFETIME="3600",
                     SERVER_GRACEFUL_TIMEOUT="10", SERVER_WARMUP="0", LOG_LEVEL="WARNING")
    assert (config["workers"], config["blocking_threads"], config["workers_lifetime"]) == (5, 2, 3600)
    assert config["workers_kill_timeout"] == 10 and config["log_level"] == "warning"
    assert config["target"] == "cms.granian_worker:application" and config["factory"] is False


def test_the_workers_get_a_statement_timeout_unless_the_environment_says_otherwise(serve):
    assert serve.worker_environment({}) == {"DATABASE_STATEMENT_TIMEOUT": "30s"}
    assert serve.worker_environment({"DATABASE_STATEMENT_TIMEOUT": ""}) == {}  # "": no limit
    assert serve.worker_environment({"DATABASE_STATEMENT_TIMEOUT": "10s"}) == {}


def test_the_access_format_has_the_path_and_never_the_query_string(serve):
    assert "%(path)s" in serve.ACCESS_FORMAT and "query_string" not in serve.ACCESS_FORMAT
    config = serve.log_config({"LOG_FORMAT": "plain"})
    assert config["handlers"]["access_console"]["formatter"] == "plain"
    assert all(h["filters"] == ["personal_data"] for h in config["handlers"].values())


# --- the warm-up in each worker -----------------------------------------------------------------

def test_a_warmed_worker_searches_once_and_serves_even_when_the_search_fails(monkeypatch):
    import cms.worker_start
    import search.service

    # As in a new worker it forgets the imported modules: not in pytest's process.
    monkeypatch.setattr(cms.worker_start, "forget_the_main_process_imports", lambda: [])
    import cms.granian_worker

    calls = []
    monkeypatch.setattr(search.service, "hotline_search", lambda q, log: calls.append((q, log)))
    monkeypatch.delenv("SERVER_WARMUP", raising=False)
    monkeypatch.delenv("GUNICORN_WARMUP", raising=False)
    assert cms.granian_worker.warmed_application() is cms.granian_worker.application and calls == [("社保", False)]
    monkeypatch.setenv("SERVER_WARMUP", "0")
    cms.granian_worker.warmed_application()
    assert len(calls) == 1

    def broken(q, log):
        raise ConnectionError("index unreachable")

    warnings = []
    monkeypatch.delenv("SERVER_WARMUP")
    monkeypatch.setattr(search.service, "hotline_search", broken)
    monkeypatch.setattr(cms.wsgi.logger, "warning", lambda message, *args: warnings.append(message % args))
    assert cms.granian_worker.warmed_application() is cms.granian_worker.application
    assert warnings == ["warm-up search failed: ConnectionError: index unreachable"]


def test_a_worker_forgets_the_modules_its_main_process_imported_for_the_logs():
    """After a reload, a worker must not run an upgraded application beside the main process's old django.conf."""
    code = ("import logging, logging.config, runpy, sys; sys.path.insert(0, '.'); "
            "import granian.server; from cms import worker_start; worker_start.remember_the_server(); "
            "logging.config.dictConfig(runpy.run_path('deploy/granian_serve.py')['log_config']({})); "
            "logging.getLogger('_granian').info('Spawning worker-1'); "  # what the main process does
            "tops = lambda: {n.split('.')[0] for n in sys.modules} - set(sys.stdlib_module_names); "
            "before = tops(); old = sys.modules['consultations.privacy']; "
            "worker_start.forget_the_main_process_imports(); after = tops(); "
            "import consultations.privacy as new; "
            "import json; print(json.dumps({'forgotten': sorted(before - after), 'kept': sorted(after), "
            "'reimported': new is not old}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.production"})
    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stdout.strip().splitlines()[-1])
    assert modules["reimported"], modules
    assert {"django", "bleach", "asgiref", "webencodings", "consultations"} <= set(modules["forgotten"]), modules
    assert "granian" in modules["kept"] and "django" not in modules["kept"] and "bleach" not in modules["kept"]


def test_a_request_reaches_django_without_the_process_environment():
    from cms.granian_worker import without_process_environment

    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        return [b""]

    wrapped = without_process_environment(app, frozenset({"SECRET_KEY", "DATABASE_URL", "PATH_INFO", "HTTP_PROXY"}))
    wrapped({"SECRET_KEY": "s" * 50, "DATABASE_URL": "postgres://zcjd:pw@db/zcjd", "HTTP_PROXY": "evil",
             "PATH_INFO": "/healthz", "REQUEST_METHOD": "GET", "HTTP_HOST": "zhengce.example.gov.cn"}, None)
    assert seen == {"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET", "HTTP_HOST": "zhengce.example.gov.cn"}


def test_the_main_processs_stop_handler_passes_a_signal_on_in_a_forked_copy(serve):
    calls = []
    guarded = serve.only_in_this_process(lambda signum, frame: calls.append(signum))
    guarded(signal.SIGTERM, None)
    assert calls == [signal.SIGTERM]  # the main process: granian's own handler
    pid = os.fork()
    if pid == 0:  # a worker before its own handlers: the default action, it ends by the signal
        signal.signal(signal.SIGTERM, guarded)
        guarded(signal.SIGTERM, None)
        os._exit(3)  # not reached
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM


# --- the real server ------------------------------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET6 if socket.has_ipv6 else socket.AF_INET) as s:
        s.bind(("::" if socket.has_ipv6 else "0.0.0.0", 0))
        return s.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def start_server(tmp_path, **settings):
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("SERVER_", "GUNICORN_"))}
    environment.update(DJANGO_SETTINGS_MODULE="cms.settings.dev", LOG_LEVEL="info", **settings)
    log = tmp_path / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, str(ROOT / "deploy" / "granian_serve.py")], cwd=tmp_path,
                                   env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    return process, log


def test_a_stop_while_the_workers_load_is_not_lost(tmp_path):
    """SIGTERM to the main process (systemd's KillMode=mixed) as soon as the workers are forked, while they load."""
    process, log = start_server(tmp_path, BIND=f"127.0.0.1:{free_port()}", WEB_CONCURRENCY="2")
    try:
        deadline = time.monotonic() + 30  # granian has forked its workers: now they load Django
        while "Spawning worker-2" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.01)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        assert time.monotonic() - started < 10, log.read_text()  # not SERVER_GRACEFUL_TIMEOUT's 30 s
        assert "refused to gracefully stop" not in log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_the_server_answers_over_ipv4_and_ipv6_logs_no_query_string_and_stops_on_sigterm(serve, tmp_path):
    if not serve.dual_stack_available():
        pytest.skip("this machine's [::] socket takes no IPv4 (no IPv6, or net.ipv6.bindv6only=1)")
    port = free_port()
    process, log = start_server(tmp_path, BIND=f"[::]:{port}", WEB_CONCURRENCY="1", SERVER_WARMUP="0")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = get(f"http://127.0.0.1:{port}/healthz?q={PHONE}")
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert status == 200 and json.loads(body) == {"status": "ok"}
        assert get(f"http://[::1]:{port}/healthz")[0] == 200
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0 and time.monotonic() - started < 10
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    text = log.read_text()
    access = [json.loads(line) for line in text.splitlines() if '"granian.access"' in line]
    assert [entry["http"]["path"] for entry in access] == ["/healthz", "/healthz"], text
    assert {entry["http"]["status"] for entry in access} == {200}
    assert access[0]["http"]["remote_addr"].endswith("127.0.0.1") and access[1]["http"]["remote_addr"] == "::1"
    assert PHONE not in text and "q=" not in text
