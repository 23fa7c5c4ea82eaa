# Two commands for a new machine: `make run` (set up and serve the demo) and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
CHROMIUM ?= /usr/bin/chromium
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
HOST_BINDS := --bind 127.0.0.1:8000 $(shell $(PYTHON) -c "import socket;s=socket.socket(socket.AF_INET6);s.bind(('::1',0));print('--bind [::1]:8000')" 2>/dev/null)

.PHONY: setup migrate demo run run-prod test test-sqlite test-postgres test-faults test-security fuzz load lint browsers bench bench-search clean

$(STAMP): requirements.txt
	@echo "==> 创建虚拟环境并安装依赖（$(PYTHON)）"
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "需要 Python 3.11 或更高版本"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

setup: $(STAMP)
	@mkdir -p var

migrate: setup
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo

# Serves the demo on 127.0.0.1:8000 and [::1]:8000 with a real task worker beside it.
run: demo
	@echo "==> 启动任务队列（db_worker）与网站：http://127.0.0.1:8000/ 管理后台：http://127.0.0.1:8000/admin/"
	@$(BIN)/python manage.py db_worker --interval 1 & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	DJANGO_SETTINGS_MODULE=cms.settings.dev $(BIN)/gunicorn cms.wsgi $(HOST_BINDS) --workers 2 \
	  --access-logfile - --error-logfile -

# The production settings on this machine: PostgreSQL zcjd_prod, Redis, embedded search, granian
# (deploy/granian_serve.py) on 127.0.0.1:8001, and a db_worker (docs/deploy.md).
run-prod: setup
	@bash deploy/run-prod-local.sh

# Debian's Chromium for the Playwright journeys (Playwright cannot download its own browser here).
browsers:
	@if [ -x "$(CHROMIUM)" ]; then echo "==> 浏览器测试使用 $(CHROMIUM)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "==> 安装 Debian 的 chromium（浏览器测试需要）"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "!! 无法安装 chromium：浏览器测试将被跳过（原因见测试输出）"; \
	else echo "!! 未找到 $(CHROMIUM)，且无法用 apt-get 安装：浏览器测试将被跳过。请执行 apt-get install chromium"; fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

# The slow fault tests (the web server, db_worker, a private PostgreSQL cluster and Redis) run in test-faults.
test-sqlite: setup browsers
	$(BIN)/python -m pytest -m "not faults"

# The same suite (browser journeys aside) on PostgreSQL when one answers; otherwise say why not.
test-postgres: setup
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_TEST_URL)', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "==> 在 PostgreSQL 上运行测试（$(PG_TEST_URL)）"; \
	  DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -m "not browser and not faults" -p no:cacheprovider; \
	else echo "!! 跳过 PostgreSQL 测试：$(PG_TEST_URL) 无法连接（设置 PG_TEST_URL 指向可用的数据库）"; fi

test: lint test-sqlite test-postgres

# Issue 5's production proof, beyond what `make test` runs (docs/faults.md, docs/access-control.md):
# every fault test, the access matrix and the fuzz tests with many more examples, the load test.
test-faults: setup
	$(BIN)/python -m pytest -m faults tests/faults -p no:cacheprovider

test-security: setup
	$(BIN)/python -m pytest tests/security -p no:cacheprovider

fuzz: setup
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-1000} FUZZ_RANDOM=$${FUZZ_RANDOM:-1} $(BIN)/python -m pytest tests/security/test_fuzz_inputs.py -p no:cacheprovider

# A mixed load (opinions, hotline searches, page views) on the production stack: benchmarks/load_test.py.
load: setup
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	$(BIN)/python benchmarks/load_test.py $(LOAD_ARGS)

bench: setup
	$(BIN)/python benchmarks/page_render.py

bench-search: setup
	$(BIN)/python benchmarks/search_bench.py $(BENCH_ARGS)

clean:
	rm -rf var/test-media .pytest_cache
