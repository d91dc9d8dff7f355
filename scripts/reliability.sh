#!/usr/bin/env bash
# The reliability check of cjo, in one command: stress with a replay oracle,
# crashes (kill -9) during a bulk load, a sweep and a delivery claim, and of
# the whole server during the concurrent stress, backup and restore, the
# upgrade from 0.1.0, the libFuzzer run of the duration parser and the
# randomised SQL fuzzing of journey documents; then a summary table.  See
# doc/reliability.md.
#
#   bash scripts/reliability.sh [--budget SECONDS] [--events N] [--customers N]
#
# With PGHOST (and PGPORT, PGUSER: a superuser) set, it uses that cluster,
# which must run on this machine (the crash test kills backends and the
# server, and starts it again with pg_ctl: run as root or as the server's
# user) with cjo installed.  Without PGHOST it builds and installs cjo and
# starts a cluster of its own (as bench/run.sh does), dropped at the end.
# The budget (default 600 s) bounds the fuzzing: stress, crash, backup and
# upgrade run to the end, the fuzzers get what is left (at least 30 s each).
# Exits non-zero if any part fails.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET=600
EVENTS=200000
CUSTOMERS=1000
while [ $# -gt 0 ]; do
    case $1 in
        --budget) BUDGET=$2; shift 2 ;;
        --events) EVENTS=$2; shift 2 ;;
        --customers) CUSTOMERS=$2; shift 2 ;;
        *) echo "usage: $0 [--budget SECONDS] [--events N] [--customers N]" >&2; exit 2 ;;
    esac
done
T0=$(date +%s)
LOGS=$(mktemp -d -t cjo-reliability.XXXXXX)
chmod 755 "$LOGS"

if [ -z "${PGHOST:-}" ]; then
    PG_CONFIG=${PG_CONFIG:-pg_config}
    command -v "$PG_CONFIG" >/dev/null || bash scripts/setup.sh
    make -s PG_CONFIG="$PG_CONFIG"
    make -s PG_CONFIG="$PG_CONFIG" install
    BIN=$("$PG_CONFIG" --bindir)
    CLUSTER=$LOGS/cluster
    mkdir -p "$CLUSTER"
    chown postgres "$CLUSTER"
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    runuser -u postgres -- "$BIN/initdb" -D "$CLUSTER/data" -U postgres >/dev/null 2>&1
    runuser -u postgres -- "$BIN/pg_ctl" -D "$CLUSTER/data" -l "$CLUSTER/log" -w \
        -o "-p $PORT -k $CLUSTER -c listen_addresses=''" start >/dev/null
    trap 'runuser -u postgres -- "$BIN/pg_ctl" -D "$CLUSTER/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$CLUSTER/data"' EXIT
    export PGHOST=$CLUSTER PGPORT=$PORT PGUSER=postgres
    export PATH=$BIN:$PATH
    echo "own cluster: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on port $PORT"
fi
unset PGDATABASE

results=()
failed=0
# part <name> <figures pattern> <command...>: runs a part, keeps its log, notes the outcome.
part() {
    local name=$1 pattern=$2 start status figures
    shift 2
    start=$(date +%s)
    echo "== $name: $*"
    if "$@" >"$LOGS/$name.log" 2>&1; then status=ok; else status=FAILED; failed=1; fi
    grep -v -e '^NOTICE:' -e 'does not exist, skipping' "$LOGS/$name.log" | sed 's/^/   /'
    figures=$(grep -E "$pattern" "$LOGS/$name.log" | tail -1 | sed -E 's/^(stress|crash): figures: //')
    results+=("$(printf '%-9s %-7s %5ss  %s' "$name" "$status" "$(( $(date +%s) - start ))" "$figures")")
}

part stress 'figures:' bash test/stress/run.sh "$EVENTS" "$CUSTOMERS"
part crash 'figures:' bash test/stress/crash.sh 200000 40000
part backup 'passed|FAILED' bash scripts/test-backup.sh
part upgrade 'objects|FAILED' bash scripts/test-upgrade.sh

left=$(( BUDGET - ($(date +%s) - T0) ))
fuzz_c=$(( left / 3 > 30 ? left / 3 : 30 ))
fuzz_sql=$(( left - fuzz_c > 30 ? left - fuzz_c : 30 ))
if command -v "${CC:-clang}" >/dev/null; then
    part libfuzzer 'executions' bash fuzz/run.sh "$fuzz_c"
else
    results+=("$(printf '%-9s %-7s %5ss  %s' libfuzzer skipped 0 "no clang")")
fi
dropdb --if-exists cjo_fuzz >/dev/null 2>&1
createdb cjo_fuzz
psql -X -q -d cjo_fuzz -c "CREATE EXTENSION cjo" >/dev/null
part sqlfuzz 'executions' env PGDATABASE=cjo_fuzz bash scripts/fuzz-sql.sh --seed "$(date +%s)" --cases 1000000 --seconds "$fuzz_sql"
dropdb cjo_fuzz

echo
echo "cjo reliability: $(( $(date +%s) - T0 )) s, logs in $LOGS"
printf '%-9s %-7s %6s  %s\n' part result time figures
printf '%s\n' "${results[@]}"
exit $failed
