# Sourced by the analytics benchmarks: builds and installs cjo, starts a real
# cluster of their own (initdb defaults, fsync on, more memory) on $PORT with a
# database "bench" where cjo is created, and stops it on exit.
# Defines db (psql on bench) and timed (prints the seconds a statement took).
bash scripts/setup.sh
make -s
make -s install

PGBIN=$(pg_config --bindir)
WORK=$(mktemp -d /tmp/cjo-bench.XXXXXX)
chown postgres "$WORK"
stop() { runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/data" stop -m fast >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap stop EXIT
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/data" >/dev/null 2>&1
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/log" -w \
    -o "-p $PORT -k $WORK -c listen_addresses='' -c shared_buffers=1GB -c max_wal_size=8GB -c work_mem=64MB" start >/dev/null
db() { psql -h "$WORK" -p "$PORT" -U postgres -X -q -v ON_ERROR_STOP=1 -d bench "$@"; }
psql -h "$WORK" -p "$PORT" -U postgres -X -q -d postgres -c "CREATE DATABASE bench"
db -c "CREATE EXTENSION cjo"
timed() {
    local out
    out=$(db -At -c '\timing on' -c "$1")
    sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out" | tail -1 | awk '{ printf "%.2f", $1 / 1000 }'
}
