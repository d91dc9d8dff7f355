#!/usr/bin/env bash
# Runs the pg_regress suite against a server running under valgrind's
# memcheck, and reports every error whose stack goes through cjo's code.
# Takes a few minutes. Run as root on Debian 12:  bash scripts/valgrind.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
command -v valgrind >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }
make -s
make -s install

PGBIN=/usr/lib/postgresql/15/bin
WORK=$(mktemp -d /tmp/cjo-valgrind.XXXXXX)
chown postgres "$WORK"
chmod -R a+rwX .
PORT=54331
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/data" >/dev/null
runuser -u postgres -- bash -c "valgrind --quiet --trace-children=yes --error-limit=no --num-callers=30 \
    --log-file=$WORK/vg.%p.log $PGBIN/postgres -D $WORK/data -p $PORT -k $WORK -c listen_addresses='' \
    > $WORK/server.log 2>&1 &"
stop() {
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/data" stop -m fast >/dev/null 2>&1 || true
}
trap stop EXIT
for _ in $(seq 1 120); do
    psql -h "$WORK" -p $PORT -U postgres -X -c 'SELECT 1' >/dev/null 2>&1 && break
    sleep 1
done

# Every pg_regress file but those that need pg_cron (the server has none here).
tests=$(ls sql/*.sql | grep -v 'cjo--' | grep -v -e schedule -e data_protection | xargs -n1 basename | sed 's/\.sql$//' | tr '\n' ' ')
PGHOST=$WORK PGPORT=$PORT PGUSER=postgres make -s installcheck REGRESS="$tests" ISOLATION= || true
stop
trap - EXIT

# Errors whose stacks mention cjo's code.
found=0
for f in "$WORK"/vg.*.log; do
    if awk '/^==[0-9]+== [A-Z]/ { block = $0; next } /^==[0-9]+==    (at|by)/ { block = block "\n" $0; if ($0 ~ /cjo\.so|src\/[a-z_]+\.c/) hit = 1; next }
            /^==[0-9]+== *$/ { if (hit) { print block; found = 1 } hit = 0; block = "" } END { exit !found }' "$f"; then
        found=1
    fi
done
errors=$(cat "$WORK"/vg.*.log | grep -c '^==[0-9]*== [A-Z]' || true)
echo "valgrind: $(ls "$WORK"/vg.*.log | wc -l) processes, $errors error reports in all (PostgreSQL's own included)"
rm -rf "$WORK"
if [ $found -ne 0 ]; then echo "valgrind found errors in cjo's code (above)"; exit 1; fi
echo "valgrind: no errors in cjo's code"
