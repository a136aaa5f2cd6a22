#!/usr/bin/env bash
# Brings up what the test suite talks to: PostgreSQL on 127.0.0.1:5432 and Debian's chromium.
set -euo pipefail
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not running on 127.0.0.1:5432" >&2; exit 1; }
# Debian packages the tests use: chromium (the page test), libzbar0 (zbar decodes our QR codes) and docker-compose
# (its own parser checks docker-compose.yml; no Docker daemon is needed for that).
missing=()
command -v chromium >/dev/null || missing+=(chromium)
ldconfig -p | grep -q libzbar.so.0 || missing+=(libzbar0)
command -v docker-compose >/dev/null || missing+=(docker-compose)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "the tests need Debian packages: sudo apt-get install ${missing[*]}" >&2; exit 1
  fi
fi
