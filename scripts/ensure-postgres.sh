#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 with trust auth for
# the `postgres` role. Uses the one already running when there is one; otherwise
# installs PostgreSQL from Debian's packages and starts a throw-away cluster.
set -euo pipefail

answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }

if answers; then
  echo "PostgreSQL answers on 127.0.0.1:5432"
  exit 0
fi

# A stopped system cluster: start it.
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for v in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true
  done
  sleep 2
  if answers; then echo "started the system PostgreSQL cluster"; exit 0; fi
fi

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "installing PostgreSQL from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
data=/tmp/branchline-ci-pg
rm -rf "$data" && mkdir -p "$data" && chown postgres:postgres "$data"
# initdb refuses to run as root: the cluster belongs to the postgres user.
su postgres -c "$bin/initdb -D $data --auth=trust --username=postgres -E UTF8" >/dev/null
su postgres -c "$bin/pg_ctl -D $data -o '-p 5432 -k /tmp -c listen_addresses=127.0.0.1' -l $data/log -w start"
answers && echo "started a PostgreSQL cluster in $data"
