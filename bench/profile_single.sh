#!/usr/bin/env bash
# Where a single event's cost goes: one pgbench client (or CLIENTS) sends the single-event
# script (bench/single_event.sql) with cjo's trigger off, then on, then off
# again, each while perf samples the client's backend; the samples are folded
# into microseconds per transaction for the parts of the trigger and for the
# parts of the event's own work that grow with it.
#   bash bench/profile_single.sh [seconds per side]        (default 8)
# SCRIPT names another pgbench script to send (default bench/single_event.sql;
# bench/turned_away_event.sql: events the journeys' entry conditions turn away).
# CLIENTS (default 1): 2 samples both backends, as in the single scenario of
# bench/run.sh, where the CPUs idle less between statements.
# The customers of the script (10000) have 30 events each loaded first
# (bench/single_preload.sql), as in the second phase of the single scenario
# of bench/run.sh. On a cluster of its own (bench/cluster.sh), with
# synchronous_commit off as there.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_SIDE=${1:-8}
SCRIPT=${SCRIPT:-bench/single_event.sql}
CLIENTS=${CLIENTS:-1}
PORT=${PORT:-54334}
command -v perf >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null; }

source bench/cluster.sh
db -c "ALTER SYSTEM SET synchronous_commit = off" -c "SELECT pg_reload_conf()" >/dev/null
db -f bench/journeys.sql >/dev/null
db -v events=1000 -v customers=10000 -v file="$WORK/profiles.copy" -f bench/data.sql >/dev/null
db -f bench/single_preload.sql >/dev/null
db -c "VACUUM ANALYZE" >/dev/null
# A warm-up, so that every side starts with the same pages in memory.
"$(pg_config --bindir)/pgbench" -h "$WORK" -p "$PORT" -U postgres -n -c 1 -T 10 -f bench/single_event.sql bench >/dev/null 2>&1

commits() { db -At -c "SELECT xact_commit FROM pg_stat_database WHERE datname = 'bench'"; }
# side NAME on|off: perf samples of the clients' backends, and their transactions.
side() {
    local bg pid c0 c1
    if [ "$2" = off ]; then db -c "ALTER TABLE cjo.events DISABLE TRIGGER events_advance"; fi
    "$(pg_config --bindir)/pgbench" -h "$WORK" -p "$PORT" -U postgres -n -c "$CLIENTS" -j "$CLIENTS" -T "$SECONDS_PER_SIDE" \
        -f "$SCRIPT" bench >/dev/null 2>&1 &
    bg=$!
    sleep 1
    pid=$(db -At -c "SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE application_name = 'pgbench'")
    c0=$(commits)
    perf record -q -F 4999 -g -p "$pid" -o "$WORK/$1.data" -- sleep $((SECONDS_PER_SIDE - 2)) >/dev/null 2>&1
    c1=$(commits)
    wait "$bg"
    if [ "$2" = off ]; then db -c "ALTER TABLE cjo.events ENABLE TRIGGER events_advance"; fi
    perf script -i "$WORK/$1.data" 2>/dev/null >"$WORK/$1.script"
    # (the perf process's own commits: none; the statements above: two)
    echo $((c1 - c0 - 2)) >"$WORK/$1.tx"
}
side off1 off
side on on
side off2 off
echo "cjo single-event profile ($SCRIPT): $CLIENTS client(s), ${SECONDS_PER_SIDE}s per side, 4999 samples per second; $(nproc) cores"
python3 bench/profile_fold.py 4999 "$WORK/off1" "$WORK/on" "$WORK/off2"
