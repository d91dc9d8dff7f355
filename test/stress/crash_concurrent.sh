#!/usr/bin/env bash
# A server crash during the concurrent stress: 8 pgbench clients insert events
# for hot customers through the stress journeys (test/stress/setup.sql), 6 of
# them one event per transaction, 2 of them 50, with synchronous_commit on and
# pgbench -l logging every transaction whose commit the client saw
# acknowledged.  After a few seconds the postmaster is stopped (SIGSTOP: it
# forks nothing more) and it and all its processes get SIGKILL at once; once
# the dead postmaster is reaped, the server is started again with its own
# command line (postmaster.opts) and does crash recovery.  Then:
#   - every acknowledged transaction is there, whole (all its events, none
#     twice); at most the one transaction each client had in flight is there
#     without an acknowledgement; no transaction is there in part; each
#     client's committed transactions are its first ones, without a gap;
#   - every committed event went through the engine exactly once (the
#     processing log, written in the same transactions) and every history row
#     and action belongs to a committed event;
#   - the database equals a sequential replay of the committed events in a
#     second database (states, history, actions as test/stress/compare.sql
#     dumps them), and again after both are swept to the end.
# Takes the cluster from PGHOST/PGPORT/PGUSER (a superuser); the cluster must
# run on this machine, be started by pg_ctl (not a service manager), and the
# script must run as root or as the server's user:
#   bash test/stress/crash_concurrent.sh [seconds before the kill] [customers]   (defaults 4 1000)
# KEEP=1 keeps the two databases (crash_c, crash_c_replay).  The last line is
# "crash: concurrent figures: ..."; exits non-zero on any loss, duplicate,
# half transaction or difference.
set -euo pipefail
cd "$(dirname "$0")/../.."
KILL_AFTER=${1:-4}
CUSTOMERS=${2:-1000}
CLIENTS=8
WORK=$(mktemp -d)
chmod 755 "$WORK"
KILLED=""
# If the script stops between the kill and the restart, the server is started
# again anyway, for whatever runs next.
cleanup() {
    if [ -n "$KILLED" ] && ! psql -X -q -d postgres -c "SELECT 1" >/dev/null 2>&1; then
        wait_reaped || true
        start_again >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
fail() { echo "crash FAILED: concurrent: $*" >&2; exit 1; }
start=$(date +%s.%N)

# The server: its data directory, binaries, postmaster and log file.
DATA=$(sql -d postgres -c "SHOW data_directory")
BINDIR=$(sql -d postgres -c "SELECT setting FROM pg_config WHERE name = 'BINDIR'")
[ -r "$DATA/postmaster.pid" ] || fail "cannot read $DATA/postmaster.pid: run as root or as the server's user, on its machine"
[ -r "$DATA/postmaster.opts" ] || fail "no $DATA/postmaster.opts to restart the server with"
OWNER=$(stat -c %U "$DATA")
as_owner() { if [ "$(id -un)" = "$OWNER" ]; then "$@"; else runuser -u "$OWNER" -- "$@"; fi; }
PM=$(head -1 "$DATA/postmaster.pid")
# The server's processes are those working in its data directory (a zombie
# is dead).
server_processes() {
    local p s
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/cwd" 2>/dev/null)" = "$DATA_REAL" ] || continue
        s=$(awk '{ print $3 }' "$p/stat" 2>/dev/null || true)
        [ -n "$s" ] && [ "$s" != Z ] && echo "${p#/proc/}"
    done
    return 0
}
DATA_REAL=$(realpath "$DATA")
wait_reaped() {
    for _ in $(seq 600); do
        [ -e "/proc/$PM" ] || return 0
        sleep 0.1
    done
    return 1
}
start_again() { as_owner "$BINDIR/pg_ctl" restart -D "$DATA" -l "$SERVER_LOG" -w -t 300; }
[[ " $(server_processes | tr '\n' ' ') " == *" $PM "* ]] || fail "cannot see the server's processes (postmaster $PM): run as root or as the server's user, on its machine"
SERVER_LOG=$(readlink "/proc/$PM/fd/2" || true)
if [ -z "$SERVER_LOG" ] || [ ! -f "$SERVER_LOG" ]; then
    SERVER_LOG=$(mktemp -t cjo-crash-server.XXXXXX.log)
    chown "$OWNER" "$SERVER_LOG"
fi

for db in crash_c crash_c_replay; do
    dropdb --if-exists "$db"
    createdb "$db"
    sql -d "$db" -v customers="$CUSTOMERS" -f test/stress/setup.sql >/dev/null
done
sql -d crash_c_replay -c "DROP TRIGGER zz_stress_log_order ON cjo.events"

# The load, without end: only the crash stops it.  pgbench logs a line
# "client transaction-number ..." after each transaction it saw committed.
PGOPTIONS='-c synchronous_commit=on' pgbench -n -f test/stress/crash_events.pgbench \
    -D seq=0 -D customers="$CUSTOMERS" -c $CLIENTS -j 2 -T 600 -l --log-prefix="$WORK/acked" crash_c \
    >"$WORK/pgbench.out" 2>&1 &
bench=$!
for _ in $(seq 200); do
    [ "$(sql -d crash_c -c "SELECT count(*) > 0 FROM stress_order")" = t ] && break
    sleep 0.05
done
sleep "$KILL_AFTER"
log_lines=$(wc -l <"$SERVER_LOG")
# The postmaster is stopped first (so that it forks nothing more), then it and
# all its processes get SIGKILL in one command.
kill -STOP "$PM"
children=$(pgrep -P "$PM" | tr '\n' ' ')
KILLED=1
kill -9 "$PM" $children 2>/dev/null || true
t_kill=$(date +%s.%N)
# None may be left; the postmaster's parent must reap it before a new one may
# start (the lock file names its pid).
left=$(server_processes)
[ -z "$left" ] || fail "server processes survived SIGKILL: $left"
wait_reaped || fail "the killed postmaster $PM was not reaped by its parent within 60 s"
t_reaped=$(date +%s.%N)
start_again >"$WORK/restart.out" 2>&1 \
    || { cat "$WORK/restart.out"; tail -20 "$SERVER_LOG"; fail "the server did not start again"; }
t_up=$(date +%s.%N)
tail -n +"$((log_lines + 1))" "$SERVER_LOG" | grep -q "redo done\|redo starts" \
    || { tail -n +"$((log_lines + 1))" "$SERVER_LOG" | head -20; fail "no crash recovery in the server log"; }
wait $bench && fail "pgbench finished before the kill" || true
# A client cut off in its INSERT had a transaction sent and not acknowledged.
in_flight=$(grep -c "client [0-9]* aborted in command .* (SQL)" "$WORK/pgbench.out" || true)
[ "$(grep -c "client [0-9]* aborted" "$WORK/pgbench.out")" = $CLIENTS ] || { cat "$WORK/pgbench.out"; fail "not every client was cut off"; }
printf 'crash: concurrent: killed the server (postmaster and %s processes) after %s s of load, %s of %s clients waiting for the answer to an INSERT; back %.1f s after the kill (%.1f s of them waiting for the dead postmaster to be reaped)\n' \
    "$(echo $children | wc -w)" "$KILL_AFTER" "$in_flight" "$CLIENTS" "$(echo "$t_up - $t_kill" | bc -l)" "$(echo "$t_reaped - $t_kill" | bc -l)"

# What the clients saw acknowledged.
# (A line whose latency is not a number is a failed transaction: none expected.)
cat "$WORK"/acked.* | awk '$3 ~ /^[0-9]+$/ { print $1 "\t" $2 }' >"$WORK/acked.tsv"
sql -d crash_c -c "CREATE TABLE acked (client int, seq int, PRIMARY KEY (client, seq))" \
    -c "\\copy acked FROM '$WORK/acked.tsv'"

# What committed: transactions (client, seq) with their events.
read -r events acked committed unacked lost lost_events partial duplicated extra gaps <<<"$(sql -d crash_c -F ' ' -c "
    CREATE TEMP TABLE tx AS
    SELECT (properties->>'client')::int AS client, (properties->>'seq')::int AS seq,
           min((properties->>'n')::int) AS n, count(*) AS events, count(DISTINCT properties->>'i') AS distinct_events
      FROM cjo.events GROUP BY 1, 2;
    SELECT (SELECT count(*) FROM cjo.events),
           (SELECT count(*) FROM acked),
           (SELECT count(*) FROM tx),
           (SELECT count(*) FROM tx WHERE NOT EXISTS (SELECT FROM acked a WHERE a.client = tx.client AND a.seq = tx.seq)),
           (SELECT count(*) FROM acked a WHERE NOT EXISTS (SELECT FROM tx WHERE tx.client = a.client AND tx.seq = a.seq AND tx.events = tx.n)),
           (SELECT coalesce(sum(CASE WHEN a.client < 6 THEN 1 ELSE 50 END - coalesce(tx.distinct_events, 0)), 0)
              FROM acked a LEFT JOIN tx USING (client, seq)),
           (SELECT count(*) FROM tx WHERE distinct_events <> n),
           (SELECT count(*) FROM tx WHERE events <> distinct_events),
           (SELECT count(*) FROM tx WHERE NOT EXISTS (SELECT FROM acked a WHERE a.client = tx.client AND a.seq = tx.seq)
                                      AND tx.seq <> 1 + coalesce((SELECT max(seq) FROM acked a WHERE a.client = tx.client), 0)),
           (SELECT count(*) FROM (SELECT client FROM tx GROUP BY 1 HAVING max(seq) <> count(*)) g)
         + (SELECT count(*) FROM (SELECT client FROM acked GROUP BY 1 HAVING max(seq) <> count(*)) g)")"
echo "crash: concurrent: $acked transactions acknowledged to the clients, $committed committed ($events events): $lost acknowledged ones missing or incomplete ($lost_events events), $partial there in part, $duplicated with an event twice, $unacked committed without an acknowledgement (of the $in_flight in flight at the kill)"
[ "$lost" = 0 ] || fail "$lost acknowledged transactions lost ($lost_events events)"
[ "$partial" = 0 ] || fail "$partial transactions there in part"
[ "$duplicated" = 0 ] || fail "$duplicated transactions with an event twice"
[ "$extra" = 0 ] || fail "$extra committed transactions a client had not sent yet"
[ "$gaps" = 0 ] || fail "$gaps gaps in the clients' committed or acknowledged transactions"
[ "$unacked" -le "$in_flight" ] || fail "$unacked committed transactions without an acknowledgement, more than the $in_flight in flight"
[ "$acked" -gt 0 ] || fail "no transaction was acknowledged before the kill: raise the delay"

# Every committed event went through the engine once; every history row and
# action belongs to a committed event.
read -r logged distinct unlogged orphans <<<"$(sql -d crash_c -F ' ' -c "
    SELECT count(*), count(DISTINCT event_id),
           (SELECT count(*) FROM cjo.events e WHERE NOT EXISTS (SELECT FROM stress_order o WHERE o.customer_id = e.customer_id AND o.event_id = e.event_id)),
           (SELECT count(*) FROM cjo.history h WHERE h.event_id IS NOT NULL
                AND NOT EXISTS (SELECT FROM cjo.events e WHERE e.customer_id = h.customer_id AND e.event_id = h.event_id))
         + (SELECT count(*) FROM cjo.actions a WHERE a.event_id IS NOT NULL
                AND NOT EXISTS (SELECT FROM cjo.events e WHERE e.customer_id = a.customer_id AND e.event_id = a.event_id))
      FROM stress_order")"
[ "$logged" = "$events" ] && [ "$distinct" = "$events" ] && [ "$unlogged" = 0 ] \
    || fail "events $events, processed $logged ($distinct distinct), never processed $unlogged"
[ "$orphans" = 0 ] || fail "$orphans history rows or actions of events that are not there"

# The oracle: the committed events, one customer at a time, in the order the
# engine processed them.
sql -d crash_c -c "\\copy (SELECT o.seq, e.event_id, e.customer_id, e.name, e.properties, e.occurred_at FROM stress_order o JOIN cjo.events e USING (customer_id, event_id) ORDER BY o.seq) TO '$WORK/events.copy'"
sql -d crash_c_replay -c "CREATE TABLE replay_events (seq bigint, event_id bigint, customer_id text, name text, properties jsonb, occurred_at timestamptz)" \
    -c "\\copy replay_events FROM '$WORK/events.copy'" -f test/stress/replay.sql
differences=0
compare() {  # compare <stage>: the crashed database and the replay decided the same
    local t n
    sql -d crash_c -v out="$WORK/crashed" -f test/stress/compare.sql
    sql -d crash_c_replay -v out="$WORK/replay" -f test/stress/compare.sql
    for t in state history actions; do
        n=$(diff "$WORK/crashed.$t" "$WORK/replay.$t" | grep -c '^[<>]' || true)
        [ "$n" = 0 ] || { diff "$WORK/crashed.$t" "$WORK/replay.$t" | head -20; differences=$((differences + n)); }
    done
    [ "$differences" = 0 ] || fail "$1: $differences lines differ from the replay"
    echo "crash: concurrent: $1: identical to the replay of the committed events: $(wc -l <"$WORK/crashed.state") states, $(wc -l <"$WORK/crashed.history") history rows, $(wc -l <"$WORK/crashed.actions") actions"
}
compare "after recovery"
s1=$(sql -d crash_c -c "SELECT cjo_advance('2027-01-01')")
s2=$(sql -d crash_c_replay -c "SELECT cjo_advance('2027-01-01')")
[ "$s1" = "$s2" ] || fail "the final sweeps moved $s1 and $s2"
compare "after a final sweep that moved $s1"
secs=$(printf '%.0f' "$(echo "$(date +%s.%N) - $start" | bc -l)")
echo "crash: concurrent figures: events=$events acked_tx=$acked committed_tx=$committed unacked_committed=$unacked lost=0 partial=0 duplicated=0 differences=0 seconds=$secs"
[ -n "${KEEP:-}" ] || { dropdb crash_c; dropdb crash_c_replay; }
