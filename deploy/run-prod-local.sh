#!/usr/bin/env bash
# `make run-prod`: the production settings on this machine, with the services it has.
#
# PostgreSQL database zcjd_prod (created if missing), Redis db 1 for the cache and sessions, the
# embedded search index in var/prod-search, media in var/prod-media, a SECRET_KEY generated once
# into var/prod-secret-key (0600). Then migrate, collectstatic, load_demo, and the web processes
# on port 8001 beside a db_worker, and the hotline's own processes (SERVER_POOL=hotline) on port
# 8001 + 1. Ctrl-C stops all three.
#
# WSGI_SERVER=granian (default, deploy/granian_serve.py) listens on 127.0.0.1 only: granian opens
# one socket, and a dual-stack [::] would take every interface (BIND=[::]:8001 does that).
# WSGI_SERVER=gunicorn (deploy/gunicorn.conf.py) listens on 127.0.0.1 and [::1].
#
# The public pool runs at WEB_NICE (default 10): when the two cores are busy with residents, the
# hotline's processes get about nine times their CPU share, as CPUWeight= does in the systemd
# units (docs/deploy.md, "The hotline's own processes"). Without nginx here, operators open
# http://127.0.0.1:8002/hotline/ themselves; the public pool answers /hotline/ too.
#
# Plain HTTP on the loopback: SECURE_SSL_REDIRECT=0 and INSECURE_LOCAL_HTTP=1 (cookies without
# the Secure flag; production.py refuses the flag for any host that is not the loopback).
# The app serves /media/ itself here (SERVE_MEDIA=1): there is no nginx in front.
# Override by exporting first, e.g. PROD_PORT=8002 LOG_FORMAT=plain WEB_CONCURRENCY=2 make run-prod
# (WSGI_SERVER, PROD_DATABASE_URL, PROD_REDIS_URL, PG_ADMIN_URL, PROD_DB; see docs/deploy.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${BIN:-$ROOT/.venv/bin}
PORT=${PROD_PORT:-8001}
HOTLINE_PORT=${PROD_HOTLINE_PORT:-$((PORT + 1))}
WEB_NICE=${WEB_NICE:-10}
WSGI_SERVER=${WSGI_SERVER:-granian}
case "$WSGI_SERVER" in
  granian|gunicorn) ;;
  *) echo "!! WSGI_SERVER 应为 granian 或 gunicorn，而不是 $WSGI_SERVER" >&2; exit 2 ;;
esac
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PROD_DB=${PROD_DB:-zcjd_prod}
mkdir -p var

# A key of its own, created once and readable by this user only.
KEY_FILE=var/prod-secret-key
if [ ! -s "$KEY_FILE" ]; then
  (umask 077 && "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(64))' > "$KEY_FILE")
  echo "==> 已生成 SECRET_KEY：$KEY_FILE（权限 0600）"
fi
chmod 600 "$KEY_FILE"

# The database, when it does not exist yet (CREATE DATABASE cannot run in a transaction).
"$BIN/python" - "$PG_ADMIN_URL" "$PROD_DB" <<'PY'
import sys

import psycopg
from psycopg import sql

admin_url, name = sys.argv[1:]
try:
    connection = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
except psycopg.OperationalError as exc:
    sys.exit(f"!! 无法连接 PostgreSQL（{admin_url}）：{exc}")
with connection:
    if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        print(f"==> 数据库 {name} 已存在")
    else:
        connection.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(name)))
        print(f"==> 已创建数据库 {name}")
PY

export DJANGO_SETTINGS_MODULE=cms.settings.production
SECRET_KEY=$(cat "$KEY_FILE")
export SECRET_KEY
# Not DATABASE_URL / REDIS_URL from the shell (they may point at the dev or test databases).
export DATABASE_URL=${PROD_DATABASE_URL:-${PG_ADMIN_URL%/*}/$PROD_DB}
export REDIS_URL=${PROD_REDIS_URL:-redis://127.0.0.1:6379/1}
export CACHE_KEY_PREFIX=${CACHE_KEY_PREFIX:-zcjd-prod-local}
export SEARCH_EMBEDDED_DIR=${SEARCH_EMBEDDED_DIR:-$ROOT/var/prod-search}
export MEDIA_ROOT=${MEDIA_ROOT:-$ROOT/var/prod-media}
export PRIVATE_MEDIA_ROOT=${PRIVATE_MEDIA_ROOT:-$ROOT/var/prod-private}
export SERVE_MEDIA=${SERVE_MEDIA:-1}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost,[::1]}
export SECURE_SSL_REDIRECT=${SECURE_SSL_REDIRECT:-0}
export INSECURE_LOCAL_HTTP=${INSECURE_LOCAL_HTTP:-1}
export WAGTAILADMIN_BASE_URL=${WAGTAILADMIN_BASE_URL:-http://127.0.0.1:$PORT}
# No mail server here: result e-mails are written to the worker's output.
export EMAIL_BACKEND=${EMAIL_BACKEND:-django.core.mail.backends.console.EmailBackend}
BIND_DEFAULT=127.0.0.1:$PORT
HOTLINE_BIND_DEFAULT=127.0.0.1:$HOTLINE_PORT
if [ "$WSGI_SERVER" = gunicorn ] && "$BIN/python" -c "import socket; socket.socket(socket.AF_INET6).bind(('::1', 0))" 2>/dev/null; then
  BIND_DEFAULT="$BIND_DEFAULT,[::1]:$PORT"
  HOTLINE_BIND_DEFAULT="$HOTLINE_BIND_DEFAULT,[::1]:$HOTLINE_PORT"
fi
export BIND=${BIND:-$BIND_DEFAULT}
export HOTLINE_BIND=${HOTLINE_BIND:-$HOTLINE_BIND_DEFAULT}
if [ "$WSGI_SERVER" = granian ]; then
  SERVE=("$BIN/python" deploy/granian_serve.py)
else
  SERVE=("$BIN/gunicorn" -c deploy/gunicorn.conf.py cms.wsgi)
fi

echo "==> 生产配置（cms.settings.production，$WSGI_SERVER）：数据库 $PROD_DB，缓存与会话 $REDIS_URL，检索索引 $SEARCH_EMBEDDED_DIR"
"$BIN/python" manage.py migrate --noinput
"$BIN/python" manage.py collectstatic --noinput -v 0
"$BIN/python" manage.py load_demo

WEB= HOTLINE= WORKER=
stop() {
  trap - EXIT INT TERM
  for pid in $WEB $HOTLINE $WORKER; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "==> 已停止网站、热线进程与任务队列"
}
trap stop EXIT INT TERM

"$BIN/python" manage.py db_worker --interval 1 &
WORKER=$!
SERVER_POOL=web nice -n "$WEB_NICE" "${SERVE[@]}" &
WEB=$!
SERVER_POOL=hotline "${SERVE[@]}" &
HOTLINE=$!
echo "==> 网站：http://127.0.0.1:$PORT/（监听 $BIND），就绪检查：http://127.0.0.1:$PORT/readyz"
echo "==> 12345 热线：http://127.0.0.1:$HOTLINE_PORT/hotline/（独立进程，监听 $HOTLINE_BIND）；Ctrl-C 停止"
# Whichever stops first (a crash, a signal), the trap stops the others.
wait -n "$WEB" "$HOTLINE" "$WORKER" || true
