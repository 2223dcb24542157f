#!/usr/bin/env bash
# PostgreSQL for the database tests: make a server answer on 127.0.0.1:5432 with trust auth for
# the role `postgres` and a database `test` (the default of NETPOL_TEST_POSTGRES). A server that
# already answers there is used as it is. Debian's packages; run as root (as make test is here).
set -euo pipefail

ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! ready; then
  if ! command -v pg_lsclusters >/dev/null || [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
    echo "installing PostgreSQL (Debian's postgresql)..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  read -r version cluster port _ < <(pg_lsclusters -h | head -n 1)
  conf=/etc/postgresql/$version/$cluster
  if [ "$port" != 5432 ]; then
    sed -i "s/^#\?port = .*/port = 5432/" "$conf/postgresql.conf"
  fi
  grep -q '^host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf" ||
    sed -i '1i host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"
  pg_ctlcluster "$version" "$cluster" start 2>/dev/null || pg_ctlcluster "$version" "$cluster" reload
  for _ in $(seq 1 100); do ready && break; sleep 0.1; done
  ready || { echo "PostgreSQL did not start: see /var/log/postgresql/" >&2; exit 1; }
fi
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 ||
  createdb -h 127.0.0.1 -U postgres test
