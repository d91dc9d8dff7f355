#!/usr/bin/env bash
# The cjo benchmark: every performance target in one run, on a real cluster of
# its own (initdb defaults, fsync on; only shared_buffers and max_wal_size
# raised).  Each timed load is paired with the same load with cjo's trigger
# disabled, back to back, and the ratio of the pair is the figure to read.
#   bash bench/run.sh [events] [customers]      (defaults: 1000000 100000)
# Scenarios, in the order they run:
#   journeys   per-event cost with 1 live journey, and with 99 more that
#              listen to none of the events
#   customers  per-event cost with SCALE_CUSTOMERS profiles (small, large)
#   sweep      cjo_advance() with SWEEP_DUE timers due among SWEEP_DUE, and
#              among SWEEP_WAITING waiting customer-journeys
#   bulk       COPY and INSERT ... SELECT of all events through 10 journeys
#   storage    bytes per state and per history row after the bulk load
#   floor      the bulk load's output (states, history, actions) written by
#              COPY with the events: what any engine producing it must pay
#   single     pgbench, 2 clients, one event per transaction, after a warm-up and after 30
#              events per customer loaded first: SINGLE_PAIRS per phase,
#              short pairs (trigger off, then on), interleaved so that
#              checkpoints and autovacuum fall on both sides; the median
#              share is the figure to read
# Environment: ROUNDS (pairs per scenario, default 3), SCENARIOS (default
# "bulk floor journeys customers sweep single"; floor needs bulk), SCALE_EVENTS (events per scaling
# load, default 200000), SCALE_CUSTOMERS (default "10000 10000000"),
# SWEEP_WAITING (default 1000000), SWEEP_DUE (default 10000),
# PGBENCH_SECONDS (per side of a pair, default 5), SINGLE_PAIRS (default 9),
# SINGLE_WARMUP (seconds of events before the pairs, default 20), PG_CONFIG (which PostgreSQL to build for and
# run; default: pg_config on the PATH), PORT (default: a free one).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
EVENTS=${1:-1000000}
CUSTOMERS=${2:-100000}
ROUNDS=${ROUNDS:-3}
SCENARIOS=${SCENARIOS:-bulk floor journeys customers sweep single}
SCALE_EVENTS=${SCALE_EVENTS:-200000}
SCALE_CUSTOMERS=${SCALE_CUSTOMERS:-10000 10000000}
SWEEP_WAITING=${SWEEP_WAITING:-1000000}
SWEEP_DUE=${SWEEP_DUE:-10000}
PGBENCH_SECONDS=${PGBENCH_SECONDS:-5}
SINGLE_PAIRS=${SINGLE_PAIRS:-9}
SINGLE_WARMUP=${SINGLE_WARMUP:-20}
PG_CONFIG=${PG_CONFIG:-pg_config}
PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
SETTINGS="shared_buffers=1GB max_wal_size=4GB"
has() { [[ " $SCENARIOS " == *" $1 "* ]]; }

bash scripts/setup.sh
command -v bc >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bc >/dev/null; }
make -s PG_CONFIG="$PG_CONFIG"
make -s PG_CONFIG="$PG_CONFIG" install

# A real cluster, private to this run: its own directory and socket, no TCP.
PGBIN=$("$PG_CONFIG" --bindir)
WORK=$(mktemp -d /tmp/cjo-bench.XXXXXX)
chmod 755 "$WORK"
chown postgres "$WORK"
stop() {
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/data" stop -m fast >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap stop EXIT
trap 'exit 130' INT TERM
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/data" >/dev/null 2>&1
opts="-p $PORT -k $WORK -c listen_addresses=''"
for s in $SETTINGS; do opts="$opts -c $s"; done
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/log" -w -o "$opts" start >/dev/null \
    || { cat "$WORK/log" >&2; exit 1; }
psql() { "$PGBIN/psql" -h "$WORK" -p "$PORT" -U postgres -X -q -v ON_ERROR_STOP=1 "$@"; }
DB=bench
db() { psql -d "$DB" "$@"; }
# Runs a statement and prints the seconds it took (client round trip).
timed() {
    local out
    out=$(db -At -c '\timing on' -c "$1")
    sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out" | tail -1 | awk '{ printf "%.2f", $1 / 1000 }'
}
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
# Summary lines, printed again as one table at the end.
SUMMARY=()
row() { SUMMARY+=("$(printf '| %s | %s | %s | %s |' "$@")"); }
# newdb NAME JOURNEYS IDLE EVENTS CUSTOMERS: a database with cjo, JOURNEYS
# benchmark journeys, IDLE journeys listening to nothing sent, profiles and
# the events (in $WORK/NAME.copy and the table bench_events).
newdb() {
    DB=$1
    psql -d postgres -c "CREATE DATABASE $1"
    db -c "CREATE EXTENSION cjo" >/dev/null
    db -v journeys="$2" -f bench/journeys.sql >/dev/null
    if [ "$3" -gt 0 ]; then db -v idle="$3" -f bench/idle_journeys.sql >/dev/null; fi
    db -v events="$4" -v customers="$5" -v file="$WORK/$1.copy" -f bench/data.sql
    db -c "VACUUM ANALYZE"
}

echo "cjo benchmark: $EVENTS events, $CUSTOMERS customers, 10 journeys of 9 nodes; scenarios: $SCENARIOS"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), $("$PGBIN/postgres" --version)"
echo "cluster: initdb defaults but $SETTINGS; $(psql -d postgres -At -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name)
    FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_level')")"

t0=$(date +%s.%N)
newdb bench 10 0 "$EVENTS" "$CUSTOMERS"
DB=bench
echo "data: $(db -At -c "SELECT count(*) FROM cjo.customers") profiles, $(db -At -c "SELECT count(*) FROM bench_events") events ($(du -m "$WORK/bench.copy" | cut -f1) MB), generated in $(echo "$(date +%s.%N) - $t0" | bc | xargs printf '%.1f')s"
db -At -c "SELECT format('journeys: %s published, %s nodes in all', count(DISTINCT journey_id), count(*)) FROM cjo.journey_nodes"

# Empties what a load fills, vacuums what it reads (and the catalogs that
# TRUNCATE and ALTER TABLE churn) and checkpoints, so that every timed load
# starts from the same state.  The activity counters of the emptied tables
# are reset too: otherwise autovacuum, seeing the rows of the previous load,
# analyzes them once empty at some moment of the next load, and what follows
# depends on when it did.
reset() {
    db -c "TRUNCATE cjo.events, cjo.journey_state, cjo.history, cjo.actions" \
       -c "SELECT pg_stat_reset_single_table_counters(t::regclass) FROM unnest(ARRAY['cjo.events', 'cjo.journey_state', 'cjo.history', 'cjo.actions']) AS t" \
       -c "VACUUM cjo.customers, cjo.journeys, cjo.journey_versions, bench_events, pg_catalog.pg_class, pg_catalog.pg_trigger" >/dev/null
    settle
}
# Waits (up to five minutes) until no autovacuum worker runs in the cluster,
# then checkpoints: a worker vacuuming what an earlier scenario wrote takes
# one of the machine's cores from whichever timed load it overlaps.
settle() {
    local waited=0
    until [ "$(psql -d postgres -At -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")" = 0 ]; do
        if [ $((waited += 1)) -gt 300 ]; then
            echo "(autovacuum still running after five minutes; timing anyway)" >&2
            break
        fi
        sleep 1
    done
    db -c "CHECKPOINT" >/dev/null
}
# load <copy|insert> <on|off>: loads every event of $DB, prints the seconds it took.
load() {
    local how=$1 trig=$2 sql
    reset
    if [ "$how" = copy ]; then
        sql="COPY cjo.events (customer_id, name, channel, properties, occurred_at) FROM '$WORK/$DB.copy'"
    else
        sql="INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at) SELECT * FROM bench_events"
    fi
    if [ "$trig" = off ]; then
        db -c "ALTER TABLE cjo.events DISABLE TRIGGER events_advance"
        timed "$sql"
        db -c "ALTER TABLE cjo.events ENABLE TRIGGER events_advance"
    else
        timed "$sql"
    fi
}
# What the last load did: proof that the journeys really ran.
counts() {
    db -At -F ' ' -c "SELECT (SELECT count(*) FROM cjo.journey_state), (SELECT count(*) FROM cjo.history),
        (SELECT count(*) FROM cjo.actions), (SELECT count(*) FROM cjo.history WHERE cause = 'g'),
        (SELECT count(*) FROM cjo.history WHERE cause = 'x')"
}
check_moved() {
    if [ "$1" -eq 0 ]; then
        echo "FAILED: no customer entered any journey; the ratio above measures nothing" >&2
        exit 1
    fi
}

# The scaling scenarios and the sweep run before the bulk loads: in the
# minutes after the bulk loads, small loads with the trigger ran up to 1.6
# times slower than in a run without them (four full runs; the machine
# recovering memory, not cjo), which would skew the ratios they compare.

# scale_pair LABEL: ROUNDS pairs of INSERT ... SELECT loads of $DB; sets
# PER_EVENT to the median extra microseconds per event the trigger cost.
scale_pair() {
    local extras=() off on n
    n=$(db -At -c "SELECT count(*) FROM bench_events")
    for r in $(seq 1 "$ROUNDS"); do
        off=$(load insert off)
        on=$(load insert on)
        read -r states _ <<<"$(counts)"
        check_moved "$states"
        extras+=("$(echo "($on - $off) * 1000000 / $n" | bc -l | xargs printf '%.1f')")
        printf '%-34s %8ss %8ss %6.2fx  %6s us/event extra  (%s states)\n' "$1 #$r" "$off" "$on" "$(ratio "$on" "$off")" "${extras[-1]}" "$states"
        row "$1 #$r" "${off} s" "${on} s" "$(ratio "$on" "$off")x, ${extras[-1]} us/event"
    done
    PER_EVENT=$(printf '%s\n' "${extras[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
}

if has journeys; then
    echo
    echo "scaling with journeys: INSERT ... SELECT of $SCALE_EVENTS events, $CUSTOMERS customers"
    newdb journeys1 1 0 "$SCALE_EVENTS" "$CUSTOMERS"
    scale_pair "1 live journey"
    one=$PER_EVENT
    newdb journeys100 1 99 "$SCALE_EVENTS" "$CUSTOMERS"
    scale_pair "100 live journeys (99 not listening)"
    hundred=$PER_EVENT
    psql -d postgres -c "DROP DATABASE journeys1" -c "DROP DATABASE journeys100"
    echo "cost per event, 100 journeys / 1 journey: $(ratio "$hundred" "$one") (medians $hundred / $one us)"
    row "journeys: extra cost per event, 100 / 1" "$one us" "$hundred us" "$(ratio "$hundred" "$one")x (target 0.8-1.2)"
fi

if has customers; then
    echo
    echo "scaling with customers: INSERT ... SELECT of $SCALE_EVENTS events spread over all customers, 10 journeys"
    per=()
    for c in $SCALE_CUSTOMERS; do
        newdb "customers$c" 10 0 "$SCALE_EVENTS" "$c"
        scale_pair "$c customers"
        per+=("$PER_EVENT")
        psql -d postgres -c "DROP DATABASE customers$c"
    done
    echo "cost per event, $(echo $SCALE_CUSTOMERS | awk '{print $NF " / " $1}') customers: $(ratio "${per[-1]}" "${per[0]}")"
    row "customers: extra cost per event, $(echo $SCALE_CUSTOMERS | awk '{print $NF " / " $1}')" "${per[0]} us" "${per[-1]} us" "$(ratio "${per[-1]}" "${per[0]}")x (target 0.8-1.2)"
fi

if has sweep; then
    echo
    echo "sweep: cjo_advance() with $SWEEP_DUE due timers among $SWEEP_DUE, and among $SWEEP_WAITING waiting"
    newdb sweep 10 0 0 "$SWEEP_WAITING"
    # waiting <n>: n customers waiting in the wait node of bench_1, the
    # first SWEEP_DUE of them due a minute ago, the rest in 30 days.
    waiting() {
        db -c "TRUNCATE cjo.journey_state, cjo.history, cjo.actions" \
           -c "INSERT INTO cjo.journey_state (customer_id, journey_id, version, run, step, node, status, entered_at, node_at, due_at)
               SELECT 'cust-' || c, n.journey_id, n.version, 1, 3, n.node_index, 'a', now() - interval '2 days', now() - interval '1 day',
                      CASE WHEN c <= $SWEEP_DUE THEN now() - interval '1 minute' ELSE now() + interval '30 days' END
                 FROM generate_series(1, $1) AS c,
                      (SELECT journey_id, version, node_index FROM cjo.journey_nodes
                        WHERE node = 'pause' AND journey_id = (SELECT journey_id FROM cjo.journeys WHERE name = 'bench_1')) AS n" \
           -c "VACUUM ANALYZE cjo.journey_state" >/dev/null
        settle
    }
    sweeps=()
    for r in $(seq 1 "$ROUNDS"); do
        waiting "$SWEEP_DUE"
        small=$(timed "SELECT cjo_advance()")
        moved=$(db -At -c "SELECT count(*) FROM cjo.journey_state WHERE status = 'c'")
        check_moved "$moved"
        waiting "$SWEEP_WAITING"
        large=$(timed "SELECT cjo_advance()")
        moved2=$(db -At -c "SELECT count(*) FROM cjo.journey_state WHERE status = 'c'")
        printf '%-34s %8ss %8ss %6.2fx  (%s and %s moved)\n' "sweep #$r" "$small" "$large" "$(ratio "$large" "$small")" "$moved" "$moved2"
        row "sweep of $SWEEP_DUE due: $SWEEP_DUE / $SWEEP_WAITING waiting #$r" "${small} s" "${large} s" "$(ratio "$large" "$small")x (target <= 2)"
    done
    psql -d postgres -c "DROP DATABASE sweep"
fi

if has bulk; then
    DB=bench
    printf '\n%-28s %11s %11s %7s   %s\n' "bulk load" "no trigger" "trigger" "ratio" "states / history / actions / goals / exits"
    for how in copy insert; do
        label=$([ "$how" = copy ] && echo "COPY" || echo "INSERT ... SELECT")
        for r in $(seq 1 "$ROUNDS"); do
            off=$(load "$how" off)
            on=$(load "$how" on)
            read -r states history actions goals exits <<<"$(counts)"
            printf '%-28s %10ss %10ss %6.2fx   %s / %s / %s / %s / %s\n' "$label #$r" "$off" "$on" \
                "$(ratio "$on" "$off")" "$states" "$history" "$actions" "$goals" "$exits"
            check_moved "$states"
            row "$label of $EVENTS events #$r" "${off} s" "${on} s" "$(ratio "$on" "$off")x"
        done
    done
    echo
    db -At -c "SELECT format('after the last load: %s customer-journey states (%s active, %s waiting on a timer), %s history rows, %s actions',
        count(*), count(*) FILTER (WHERE status = 'a'), count(*) FILTER (WHERE due_at IS NOT NULL),
        (SELECT count(*) FROM cjo.history), (SELECT count(*) FROM cjo.actions)) FROM cjo.journey_state"
    # Storage, measured after the load (before any sweep), heap and with indexes.
    db -c "VACUUM ANALYZE cjo.journey_state, cjo.history"
    read -r sheap stotal savg hheap htotal havg <<<"$(db -At -F ' ' -c "SELECT
        round(pg_relation_size('cjo.journey_state')::numeric / greatest(count(*), 1)),
        round(pg_total_relation_size('cjo.journey_state')::numeric / greatest(count(*), 1)),
        round(avg(pg_column_size(s.*))),
        (SELECT round(pg_relation_size('cjo.history')::numeric / greatest(count(*), 1)) FROM cjo.history),
        (SELECT round(pg_total_relation_size('cjo.history')::numeric / greatest(count(*), 1)) FROM cjo.history),
        (SELECT round(avg(pg_column_size(h.*))) FROM cjo.history h)
        FROM cjo.journey_state s")"
    echo "storage: per customer-journey state ${sheap} B of heap (${savg} B of row data; ${stotal} B with indexes); per history row ${hheap} B of heap (${havg} B of row data; ${htotal} B with its index)"
    row "storage per customer-journey state" "" "${sheap} B heap (${stotal} B with indexes)" "target 150 B"
    row "storage per history row" "" "${hheap} B heap (${htotal} B with index)" ""
fi

# The floor: what writing the engine's output alone costs.  The last bulk
# load's states, history and actions are written again by COPY, in the same
# transaction as the events (trigger off): once into cjo's own tables (with
# every index the product reads them by), once into copies without any index
# (the rows alone).  No engine can load these events through these journeys
# for less than the first; the ratio of cjo to it is the engine's own cost.
if has floor; then
    DB=bench
    for t in history actions journey_state; do
        db -c "COPY cjo.$t TO '$WORK/out_$t.copy'"
        db -c "CREATE TABLE floor_$t (LIKE cjo.$t INCLUDING DEFAULTS)"
    done
    out_rows=$(db -At -c "SELECT format('%s history rows, %s actions, %s states', (SELECT count(*) FROM cjo.history),
        (SELECT count(*) FROM cjo.actions), (SELECT count(*) FROM cjo.journey_state))")
    # floor_load <cjo.|floor_>: the events, then the output by COPY into
    # cjo's tables or into the copies, in one statement; prints its seconds.
    floor_load() {
        local t body=""
        reset
        db -c "TRUNCATE floor_history, floor_actions, floor_journey_state"
        for t in history actions journey_state; do
            body="$body EXECUTE 'COPY $1$t FROM ''$WORK/out_$t.copy''';"
        done
        db -c "ALTER TABLE cjo.events DISABLE TRIGGER events_advance"
        timed "DO \$\$ BEGIN EXECUTE 'COPY cjo.events (customer_id, name, channel, properties, occurred_at) FROM ''$WORK/$DB.copy'''; $body END \$\$"
        db -c "ALTER TABLE cjo.events ENABLE TRIGGER events_advance"
    }
    echo
    echo "floor: the events alone; with the last load's output ($out_rows) written by COPY; with cjo"
    printf '%-10s %9s %17s %17s %17s %8s\n' "" "events" "+ output" "+ output rows" "cjo" "cjo /"
    printf '%-10s %9s %17s %17s %17s %8s\n' "" "alone" "(all indexes)" "(no index)" "" "floor"
    for r in $(seq 1 "$ROUNDS"); do
        alone=$(load copy off)
        full=$(floor_load cjo.)
        bare=$(floor_load floor_)
        on=$(load copy on)
        printf '%-10s %8ss %8ss %6.2fx %8ss %6.2fx %8ss %6.2fx %7.2fx\n' "COPY #$r" "$alone" "$full" "$(ratio "$full" "$alone")" \
            "$bare" "$(ratio "$bare" "$alone")" "$on" "$(ratio "$on" "$alone")" "$(ratio "$on" "$full")"
        row "floor #$r: events + output by COPY (all indexes / rows only) / cjo" "${alone} s" \
            "${full} s / ${bare} s / ${on} s" "$(ratio "$full" "$alone")x / $(ratio "$bare" "$alone")x / $(ratio "$on" "$alone")x; cjo / floor $(ratio "$on" "$full")x"
    done
    db -c "DROP TABLE floor_history, floor_actions, floor_journey_state"
fi

# The bulk loads leave gigabytes in the bench database: empty it now, so that
# autovacuum has nothing of theirs to do during the single-event pairs.
if has bulk; then DB=bench; reset; fi


if has single && [ "$PGBENCH_SECONDS" -gt 0 ]; then
    # The CPU is measured over the middle of each run: at least a second of it.
    [ "$PGBENCH_SECONDS" -ge 3 ] || PGBENCH_SECONDS=3
    # Single events: synchronous_commit off, so that disk flushes do not hide the engine's cost.
    DB=bench
    reset
    db -c "ALTER SYSTEM SET synchronous_commit = off" -c "SELECT pg_reload_conf()" >/dev/null
    # CPU time of the pgbench backends so far, in clock ticks (utime + stime).
    backend_ticks() {
        local pids
        pids=$(db -At -c "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity WHERE application_name = 'pgbench'")
        for p in $pids; do awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || true; done | awk '{ t += $1 } END { print t + 0 }'
    }
    commits() { db -At -c "SELECT xact_commit FROM pg_stat_database WHERE datname = 'bench'"; }
    # single <on|off>: "tps cpu": transactions per second, and the backends'
    # CPU microseconds per transaction over the middle of the run (a figure
    # that other work on the machine moves much less than throughput).
    single() {
        local out t0 t1 c0 c1 bg
        if [ "$1" = off ]; then db -c "ALTER TABLE cjo.events DISABLE TRIGGER events_advance"; fi
        "$PGBIN/pgbench" -h "$WORK" -p "$PORT" -U postgres -n -c 2 -j 2 -T "$PGBENCH_SECONDS" -f bench/single_event.sql bench \
            >"$WORK/pgbench.out" 2>/dev/null &
        bg=$!
        sleep 1
        t0=$(backend_ticks); c0=$(commits)
        sleep $((PGBENCH_SECONDS - 2))
        t1=$(backend_ticks); c1=$(commits)
        wait "$bg"
        if [ "$1" = off ]; then db -c "ALTER TABLE cjo.events ENABLE TRIGGER events_advance"; fi
        # (single runs in a subshell: the events it sent go to a file)
        if [ "$1" = on ]; then sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$WORK/pgbench.out" >>"$WORK/single_on_events"; fi
        echo "$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$WORK/pgbench.out") $(echo "($t1 - $t0) * 1000000 / $(getconf CLK_TCK) / ($c1 - $c0)" | bc -l)"
    }
    # What the engine wrote so far: states inserted, states updated, history rows, messages.
    written() {
        db -At -F ' ' -c "SELECT sum(n_tup_ins) FILTER (WHERE relname = 'journey_state'), sum(n_tup_upd) FILTER (WHERE relname = 'journey_state'),
                                 sum(n_tup_ins) FILTER (WHERE relname = 'history'), sum(n_tup_ins) FILTER (WHERE relname = 'actions')
                            FROM pg_stat_user_tables WHERE schemaname = 'cjo'"
    }
    median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
    # pairs <warmup|preloaded>: SINGLE_PAIRS interleaved pairs after the phase's start:
    #   warmup:    empty tables, then SINGLE_WARMUP seconds of events (about 20 per customer: some
    #              customers still enter journeys, many events move a run, some send a message);
    #   preloaded: 30 events per customer loaded first in one statement (bench/single_preload.sql),
    #              then the same warm-up (the customers are deep in their journeys: most events
    #              only read their states, as in a shop whose journeys have run for a while).
    pairs() {
        local phase=$1 label shares=() cpu_off=() cpu_on=() off coff on con share r
        local median_share median_off median_on cpu_share ins0 upd0 hist0 act0 ins1 upd1 hist1 act1 on_events output
        reset
        if [ "$phase" = preloaded ]; then
            db -f bench/single_preload.sql >/dev/null
            db -c "VACUUM ANALYZE cjo.events, cjo.journey_state, cjo.history, cjo.actions" >/dev/null
            label="single events, 30 events per customer first"
        else
            label="single events, after a warm-up"
        fi
        "$PGBIN/pgbench" -h "$WORK" -p "$PORT" -U postgres -n -c 2 -j 2 -T "$SINGLE_WARMUP" -f bench/single_event.sql bench >/dev/null 2>&1
        echo
        printf '%-28s %11s %11s %7s %17s\n' "single events, $phase" "no trigger" "trigger" "share" "CPU us/tx off/on"
        : >"$WORK/single_on_events"
        read -r ins0 upd0 hist0 act0 <<<"$(written)"
        for r in $(seq 1 "$SINGLE_PAIRS"); do
            read -r off coff <<<"$(single off)"
            read -r on con <<<"$(single on)"
            share=$(echo "100 * $on / $off" | bc -l | xargs printf '%.1f')
            shares+=("$share"); cpu_off+=("$coff"); cpu_on+=("$con")
            printf '%-28s %9.0f/s %9.0f/s %6s%% %8.0f/%.0f\n' "2 clients, ${PGBENCH_SECONDS}s #$r" "$off" "$on" "$share" "$coff" "$con"
            row "$label, pgbench 2 clients #$r" "$(printf '%.0f' "$off") tx/s, $(printf '%.0f' "$coff") us CPU/tx" \
                "$(printf '%.0f' "$on") tx/s, $(printf '%.0f' "$con") us CPU/tx" "${share}%"
        done
        median_share=$(printf '%s\n' "${shares[@]}" | median)
        median_off=$(printf '%s\n' "${cpu_off[@]}" | median)
        median_on=$(printf '%s\n' "${cpu_on[@]}" | median)
        cpu_share=$(echo "100 * $median_off / $median_on" | bc -l | xargs printf '%.1f')
        printf '%-28s %21s %6s%% %8.0f/%.0f (CPU share %s%%)\n' "median of $SINGLE_PAIRS pairs" "" "$median_share" "$median_off" "$median_on" "$cpu_share"
        row "$label: median share of $SINGLE_PAIRS pairs" "$(printf '%.0f' "$median_off") us CPU/tx" "$(printf '%.0f' "$median_on") us CPU/tx" \
            "${median_share}% of the throughput (target >= 85%); CPU per transaction: ${cpu_share}%"
        # How much each event made the engine write, in the runs with the trigger.
        read -r ins1 upd1 hist1 act1 <<<"$(written)"
        on_events=$(awk '{ n += $1 } END { print n + 0 }' "$WORK/single_on_events")
        per_event() { echo "($2 - $1) / $on_events" | bc -l | xargs printf '%.2f'; }
        output="$(per_event "$ins0" "$ins1") new states, $(per_event "$upd0" "$upd1") state updates, $(per_event "$hist0" "$hist1") history rows, $(per_event "$act0" "$act1") messages"
        echo "written per event with the trigger: $output"
        row "$label: written per event (runs with the trigger)" "" "$on_events events" "$output"
    }
    pairs warmup
    pairs preloaded
    db -c "ALTER SYSTEM RESET synchronous_commit" -c "SELECT pg_reload_conf()" >/dev/null
fi

echo
echo "| scenario | without cjo / small | with cjo / large | ratio |"
echo "|---|---|---|---|"
printf '%s\n' "${SUMMARY[@]}"
