#!/bin/bash
# Starts MariaDB, PostgreSQL, Redis and a Redis Cluster on loopback when they
# are not answering (the recipe of shared/services.md), and installs Chromium,
# python3 and Node.js when they are missing.
# Safe to run again on running services.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# Headless Chromium for the browser login test (Debian's package; no test
# downloads a browser of its own).
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
# python3 for the test that reads our token file with Python's csv module
# and the Python token store example; bash-completion so that the completion
# test runs the completion function, not only loads the script; zsh for the
# test that the command lines the emulator and quickstart print work as
# printed in zsh.
if ! command -v python3 >/dev/null || [ ! -f /usr/share/bash-completion/bash_completion ] || ! command -v zsh >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq python3 bash-completion zsh >/dev/null
fi
# Node.js (Debian's package) for the Node token store example's tests
# (examples/node-store, run by TestNodeTokenStore); they use only Node's
# standard library, so no npm.
if ! command -v node >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq nodejs >/dev/null
fi

up() {
  mariadb-admin -u root --protocol=TCP -h 127.0.0.1 ping >/dev/null 2>&1 &&
    pg_isready -q -h 127.0.0.1 >/dev/null 2>&1 &&
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1
}
# redis_cluster BASE DIR: a Redis Cluster on 127.0.0.1:BASE to BASE+5, 3
# primaries and 3 replicas, nothing on disk, each node's state in DIR/<port>.
# A node's process id is in DIR/<port>/pid: the failover test kills that one
# process and starts it again with the options it reads from the node
# (CONFIG GET), so this is the one place that says how a node is started.
redis_cluster() {
  local B=$1 D=$2 p
  local ports="$B $((B + 1)) $((B + 2)) $((B + 3)) $((B + 4)) $((B + 5))"
  if redis-cli -p "$B" cluster info 2>/dev/null | grep -q cluster_state:ok &&
    [ "$(redis-cli -p "$B" cluster nodes 2>/dev/null | grep -c slave)" = 3 ]; then
    echo "services: the Redis Cluster on $B-$((B + 5)) answers"
    return 0
  fi
  for p in $ports; do
    mkdir -p "$D/$p"
    redis-cli -p $p ping >/dev/null 2>&1 || redis-server --port $p --bind 127.0.0.1 \
      --cluster-enabled yes --cluster-config-file "$D/$p/nodes.conf" --cluster-node-timeout 2000 \
      --save "" --appendonly no --dir "$D/$p" --daemonize yes --pidfile "$D/$p/pid" --logfile "$D/$p/log"
  done
  local up
  for _ in $(seq 1 30); do
    up=1
    for p in $ports; do redis-cli -p $p ping >/dev/null 2>&1 || up=0; done
    [ $up = 1 ] && break
    sleep 0.2
  done
  local nodes=""
  for p in $ports; do nodes="$nodes 127.0.0.1:$p"; done
  # Create the cluster only on new nodes: nodes started again with their
  # nodes.conf (after the machine's processes were ended) form it again by
  # themselves, and report cluster_state:fail for their first 2 s.
  if redis-cli -p "$B" cluster info | tr -d '\r' | grep -qx cluster_known_nodes:1; then
    redis-cli --cluster create $nodes --cluster-replicas 1 --cluster-yes >/dev/null
  fi
  # Ready when the slots are served and every primary has its replica.
  for _ in $(seq 1 60); do
    redis-cli -p "$B" cluster info | grep -q cluster_state:ok &&
      [ "$(redis-cli -p "$B" cluster nodes | grep -c slave)" = 3 ] && break
    sleep 1
  done
  redis-cli -p "$B" cluster info | grep cluster_state:ok
}

# The shared test cluster on 7000-7005, and one on 7100-7105 that only the
# failover test uses: it kills a node of it, which would fail the tests of
# other packages running against the shared one at the same time.
redis_clusters() {
  redis_cluster 7000 "${REDIS_CLUSTER_DIR:-/var/lib/redis/cluster}"
  redis_cluster 7100 "${REDIS_FAILOVER_CLUSTER_DIR:-/var/lib/redis/cluster-failover}"
}

if command -v mariadb-admin >/dev/null && command -v pg_isready >/dev/null && command -v redis-cli >/dev/null && up; then
  # Still make sure the test database and roles exist.
  mariadb -u root --protocol=TCP -h 127.0.0.1 -e "CREATE DATABASE IF NOT EXISTS test" >/dev/null 2>&1 || true
  echo "services: MariaDB, PostgreSQL and Redis answer"
  redis_clusters
  exit 0
fi

if ! command -v mariadbd >/dev/null || ! command -v redis-server >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
  apt-get update -qq
  apt-get install -y -qq mariadb-server postgresql redis-server >/dev/null
fi

# MariaDB: 127.0.0.1:3306, root with an empty password, database test.
install -d -o mysql -g root /run/mysqld
start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
for _ in $(seq 1 60); do mariadb-admin ping >/dev/null 2>&1 && break; sleep 1; done
mariadb -u root -e "ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket; CREATE DATABASE IF NOT EXISTS test; FLUSH PRIVILEGES;"

# PostgreSQL: 127.0.0.1:5432, trust auth, roles postgres and root, databases test and root.
V=$(ls /etc/postgresql | sort -V | tail -n1)
sed -i -E 's/^(local|host)(\s+.*\s)(peer|scram-sha-256|md5)\s*$/\1\2trust/' /etc/postgresql/$V/main/pg_hba.conf
echo "listen_addresses = '127.0.0.1'" > /etc/postgresql/$V/main/conf.d/90-loopback.conf
if pg_ctlcluster --skip-systemctl-redirect $V main status >/dev/null 2>&1; then
  pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect $V main restart
else
  pg_ctlcluster --skip-systemctl-redirect $V main start
fi
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
PSQL="psql -X -q -U postgres -h 127.0.0.1 -v ON_ERROR_STOP=1"
$PSQL -tAc "SELECT 1 FROM pg_roles WHERE rolname='root'" | grep -q 1 || $PSQL -c "CREATE ROLE root SUPERUSER LOGIN"
for db in test root; do
  $PSQL -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 || $PSQL -c "CREATE DATABASE $db"
done

# Redis: 127.0.0.1:6379, nothing kept on disk.
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 ||
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done

mariadb-admin -u root --protocol=TCP -h 127.0.0.1 ping && pg_isready -h 127.0.0.1 && redis-cli -h 127.0.0.1 ping
redis_clusters
