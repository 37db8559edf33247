#!/usr/bin/env bash
# Make sure Chromium is installed and Redis (127.0.0.1:6379), PostgreSQL (127.0.0.1:5432,
# database `test`) and RabbitMQ (127.0.0.1:5672, guest/guest: tests/reporting/test_rabbitmq.py)
# run: install them from Debian's packages and start them when they are absent.
set -uo pipefail
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
updated=

apt_install() {
  [ -n "$updated" ] || { $SUDO apt-get update -qq && updated=1; }
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# Debian's Chromium, for the browser tests (Playwright drives it; it downloads no browser).
command -v chromium >/dev/null || apt_install chromium

# The deployment recipes' validators (tests/deploy/): docker-compose 1.29 checks deploy/compose.yaml
# against its bundled compose spec, nginx -t checks deploy/nginx/ (neither is started here).
command -v docker-compose >/dev/null || apt_install --no-install-recommends docker-compose
[ -x /usr/sbin/nginx ] || apt_install --no-install-recommends nginx-light

if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  command -v redis-server >/dev/null || apt_install redis-server
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi

if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start
fi
for _ in $(seq 30); do
  (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null && break
  sleep 1
done
if command -v psql >/dev/null; then
  psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" 2>/dev/null | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null 2>&1 || true
fi

if ! (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
  [ -x /usr/sbin/rabbitmq-server ] || apt_install rabbitmq-server
  $SUDO service rabbitmq-server start >/dev/null 2>&1 || true
  for _ in $(seq 60); do  # the Erlang VM takes a few seconds to listen
    (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null && break
    sleep 1
  done
fi
exit 0
