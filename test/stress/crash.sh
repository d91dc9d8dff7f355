#!/usr/bin/env bash
# Crashes: kill -9 of the backend running a bulk load (COPY), of the backend
# running a sweep, and of a delivery worker's backend holding claimed
# actions; the server restarts (crash recovery).  Database crash_a takes the
# crashes, crash_b does the same work without them; after each crash and
# after the work is redone both must hold identical states, history and
# actions.  A worker that dies after its claim committed: no other worker
# gets the actions while the lease runs, the next claim after it gets all of
# them.  Last, test/stress/crash_concurrent.sh kills the whole server (the
# postmaster and all its processes) during the 8-client stress and restarts
# it: every acknowledged transaction must be there, whole, and the database
# equal to a replay of the committed events.
# Needs root (or the server's user) on the server's machine (kill -9 of a
# backend, of the server, and pg_ctl to start it again) and a superuser
# connection from PGHOST/PGPORT/PGUSER:
#   bash test/stress/crash.sh [events] [customers]        (defaults 200000 40000)
# KEEP=1 keeps the databases (crash_a, crash_b, crash_c, crash_c_replay) for a look.
set -euo pipefail
cd "$(dirname "$0")/../.."
EVENTS=${1:-200000}
CUSTOMERS=${2:-40000}
WORK=$(mktemp -d)
chmod 755 "$WORK"
trap 'rm -rf "$WORK"' EXIT
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
fail() { echo "crash FAILED: $*" >&2; exit 1; }

for db in crash_a crash_b; do
    dropdb --if-exists "$db"
    createdb "$db"
done
sql -d crash_a -f test/stress/crash.sql >/dev/null
sql -d crash_b -v customers="$CUSTOMERS" -v events="$EVENTS" -v out="$WORK/ev" -f test/stress/crash.sql >/dev/null
load=$(wc -l <"$WORK/ev.load")
for db in crash_a crash_b; do
    sql -d "$db" -c "\\copy cjo.events (event_id, customer_id, name, properties, occurred_at) FROM '$WORK/ev.base'"
done

same() {  # same <stage>: crash_a and crash_b hold the same states, history and actions
    local t
    sql -d crash_a -v out="$WORK/a" -f test/stress/compare.sql
    sql -d crash_b -v out="$WORK/b" -f test/stress/compare.sql
    for t in state history actions; do
        cmp -s "$WORK/a.$t" "$WORK/b.$t" || { diff "$WORK/a.$t" "$WORK/b.$t" | head; fail "$1: $t differ"; }
    done
    echo "crash: $1: identical: $(wc -l <"$WORK/a.state") states, $(wc -l <"$WORK/a.history") history rows, $(wc -l <"$WORK/a.actions") actions"
}

# Runs a statement in crash_a under a name, kills -9 its backend after a
# moment, waits for the server to come back.  Prints "killed" or "finished"
# (the statement ended before the kill).
crash_during() {  # crash_during <name> <delay> <psql args...>
    local name=$1 delay=$2 pid bg
    shift 2
    PGAPPNAME=$name psql -X -q -d crash_a "$@" >"$WORK/$name.out" 2>&1 &
    bg=$!
    pid=""
    for _ in $(seq 100); do
        pid=$(sql -d postgres -c "SELECT pid FROM pg_stat_activity WHERE application_name = '$name' AND state = 'active'")
        [ -n "$pid" ] && break
        sleep 0.05
    done
    [ -n "$pid" ] || fail "$name never started: $(cat "$WORK/$name.out")"
    sleep "$delay"
    if kill -9 "$pid" 2>/dev/null; then
        wait $bg || true
        for _ in $(seq 120); do
            sql -d postgres -c "SELECT 1" >/dev/null 2>&1 && break
            sleep 0.5
        done
        sql -d postgres -c "SELECT 1" >/dev/null || fail "the server did not come back"
        grep -q "server closed the connection\|terminating connection\|connection to server was lost" "$WORK/$name.out" \
            || fail "$name was not cut off: $(cat "$WORK/$name.out")"
        echo killed
    else
        wait $bg || true
        echo finished
    fi
}

same "before the crashes"
base_events=$(sql -d crash_a -c "SELECT count(*) FROM cjo.events")

# 1. kill -9 in the middle of a sweep with many due timers.
due=$(sql -d crash_a -c "SELECT count(*) FROM cjo.journey_state WHERE due_at <= '2026-01-09'")
r=$(crash_during crash_sweep 1 -c "SELECT cjo_advance('2026-01-09')")
[ "$r" = killed ] || fail "the sweep finished before the kill"
same "after kill -9 during a sweep of $due due timers (nothing fired)"
m1=$(sql -d crash_a -c "SELECT cjo_advance('2026-01-09')")
m2=$(sql -d crash_b -c "SELECT cjo_advance('2026-01-09')")
[ "$m1" = "$m2" ] || fail "the second sweep moved $m1, the sweep without a crash $m2"
[ "$(sql -d crash_a -c "SELECT count(*) FROM cjo.journey_state WHERE due_at <= '2026-01-09'")" = 0 ] || fail "timers left due"
same "after a second sweep that moved $m1"


# 2. kill -9 in the middle of a COPY of $load events.
r=$(crash_during crash_copy 0.5 -c "\\copy cjo.events (event_id, customer_id, name, properties, occurred_at) FROM '$WORK/ev.load'")
[ "$r" = killed ] || fail "the COPY finished before the kill: use more events"
[ "$(sql -d crash_a -c "SELECT count(*) FROM cjo.events")" = "$base_events" ] || fail "part of the killed COPY is visible"
same "after kill -9 during a COPY of $load events (none of them visible)"
for db in crash_a crash_b; do
    sql -d "$db" -c "\\copy cjo.events (event_id, customer_id, name, properties, occurred_at) FROM '$WORK/ev.load'"
done
same "after the COPY again"

for db in crash_a crash_b; do sql -d "$db" -c "SELECT cjo_advance('2026-03-01')" >/dev/null; done
same "after a final sweep"

# 3. A delivery worker dies: (a) killed inside its claim transaction, (b)
# gone after its claim committed, with a 2-second lease.
# Every other action is delivered first, so that 500 pending ones remain.
sql -d crash_a -c "UPDATE cjo.actions SET status = 'sent' WHERE status = 'pending' AND action_id NOT IN
                       (SELECT action_id FROM cjo.actions WHERE status = 'pending' ORDER BY action_id LIMIT 500)" >/dev/null
pending=$(sql -d crash_a -c "SELECT count(*) FROM cjo.actions WHERE status = 'pending'")
r=$(crash_during crash_worker 1 -c "BEGIN" -c "SELECT count(*) FROM cjo_claim(1000, '1 hour', NULL, 'doomed')" -c "SELECT pg_sleep(30)")
[ "$r" = killed ] || fail "the worker was not killed"
[ "$(sql -d crash_a -c "SELECT count(*) FILTER (WHERE status = 'pending' AND attempts = 0) FROM cjo.actions")" = "$pending" ] \
    || fail "a killed worker's uncommitted claim left traces"
claimed=$(sql -d crash_a -c "SELECT count(*) FROM cjo_claim(300, '2 seconds', NULL, 'dies')")
again=$(sql -d crash_a -c "SELECT count(*) FROM cjo_claim(1000, '1 minute', NULL, 'early')")
[ "$again" = "$(( pending - claimed ))" ] || fail "claimed while leased: $again"
sleep 2.2
sql -d crash_a -c "SELECT cjo_report(action_id, 'sent') FROM cjo.actions WHERE claimed_by = 'early'" >/dev/null
rescued=$(sql -d crash_a -c "SELECT count(*) FROM cjo_claim(1000, '1 minute', NULL, 'rescuer') WHERE attempts = 2")
[ "$rescued" = "$claimed" ] || fail "after the lease $rescued of the $claimed abandoned actions were claimed again"
echo "crash: a worker killed inside its claim left $pending actions pending; one that died holding $claimed for 2 s: none claimed by others meanwhile, all $claimed reclaimed after the lease (attempts 2)"
[ -n "${KEEP:-}" ] || { dropdb crash_a; dropdb crash_b; }

# 4. kill -9 of the whole server during the concurrent stress.
bash test/stress/crash_concurrent.sh >"$WORK/concurrent.out" 2>&1 || { cat "$WORK/concurrent.out"; fail "the server kill during the stress"; }
grep -v '^NOTICE:' "$WORK/concurrent.out"
cc=$(grep '^crash: concurrent figures:' "$WORK/concurrent.out" | sed 's/^crash: concurrent figures: //')
val() { sed -nE "s/.*(^| )$1=([^ ]*).*/\2/p" <<<"$cc"; }
echo "crash: figures: kills=4 events_loaded=$load due_timers=$due server_kill: events=$(val events) acked_tx=$(val acked_tx) unacked_committed=$(val unacked_committed) $(val seconds)s; lost=0 duplicated=0 partial=0 differences=0"
