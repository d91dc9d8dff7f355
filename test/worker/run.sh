#!/usr/bin/env bash
# End-to-end test of the reference delivery worker (worker/cjo-worker) against
# a real local HTTP server (test/worker/webhook_server.py) and a real database:
# deliveries, feedback events that advance a journey, retries with Retry-After
# and with the back-off, permanent failures, time-outs up to cjo.max_attempts,
# a worker killed while delivering, a worker whose lease ran out before it
# reported, the listening loop woken by NOTIFY, reconnection, the roles.
# Takes a running cluster from PGHOST/PGPORT/PGUSER (a superuser); creates and
# drops its own database (cjo_worker_test) and roles (cjo_wk_*):
#     bash test/worker/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export PGDATABASE=cjo_worker_test
# The webhook server is local: no proxy in between.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
WORK=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
    dropdb --if-exists cjo_worker_test 2>/dev/null || true
    psql -X -q -d postgres -c 'DROP ROLE IF EXISTS cjo_wk_mailer, cjo_wk_nofeedback' 2>/dev/null || true
}
trap cleanup EXIT
fail() {
    echo "worker test FAILED: $*" >&2
    echo "--- worker log (last lines)" >&2
    tail -n 20 "$WORK"/*.log >&2 2>/dev/null || true
    exit 1
}
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
# Compares the output of a query with the expected text.
expect() {
    local got
    got=$(sql -c "$1")
    [ "$got" = "$2" ] || fail "$3: expected [$2], got [$got]"
    echo "ok - $3"
}
# Waits up to $2 seconds for a query to return t.
wait_for() {
    for _ in $(seq $(($2 * 10))); do
        [ "$(sql -c "$1")" = t ] && return 0
        sleep 0.1
    done
    return 1
}
requests() { grep -c "\"path\": \"$1\"" "$WORK/requests.jsonl" || true; }
action() { sql -c "SELECT action_id FROM cjo.actions WHERE customer_id = '$1'"; }

dropdb --if-exists cjo_worker_test 2>/dev/null
createdb cjo_worker_test
sql -c 'CREATE EXTENSION cjo' >/dev/null
sql -d postgres >/dev/null <<'SQL'
SET client_min_messages = warning;
DROP ROLE IF EXISTS cjo_wk_mailer, cjo_wk_nofeedback;
CREATE ROLE cjo_wk_mailer LOGIN PASSWORD 'wk-test' IN ROLE cjo_delivery, cjo_ingest;
CREATE ROLE cjo_wk_nofeedback LOGIN PASSWORD 'wk-test' IN ROLE cjo_delivery;
SQL
# welcome: an email, then wait until it is delivered (the webhook's feedback
# event), then a push. order: three messages that fail in different ways.
# renewal: a chat message that is retried. letter: a slow letter.
sql >/dev/null <<'SQL'
SELECT cjo_publish('{"name": "wk_welcome", "entry": {"event": "signup"}, "start": "mail",
  "nodes": {"mail": {"type": "action", "channel": "email", "template": "welcome", "next": "delivered"},
            "delivered": {"type": "wait_event", "events": [{"event": "email_delivered", "next": "push"}],
                          "timeout": "1 day", "timeout_next": "done"},
            "push": {"type": "action", "channel": "push", "template": "thanks", "next": "done"},
            "done": {"type": "exit"}}}');
SELECT cjo_publish('{"name": "wk_order", "entry": {"event": "order"}, "start": "text",
  "nodes": {"text": {"type": "action", "channel": "sms", "template": "receipt", "next": "late"},
            "late": {"type": "action", "channel": "fax", "template": "receipt", "next": "gone"},
            "gone": {"type": "action", "channel": "moved", "template": "receipt", "next": "done"},
            "done": {"type": "exit"}}}');
SELECT cjo_publish('{"name": "wk_renewal", "entry": {"event": "renewal"}, "start": "chat",
  "nodes": {"chat": {"type": "action", "channel": "chat", "template": "renew", "next": "done"},
            "done": {"type": "exit"}}}');
SELECT cjo_publish('{"name": "wk_letter", "entry": {"event": "letter"}, "start": "post",
  "nodes": {"post": {"type": "action", "channel": "letter", "template": "hello", "next": "done"},
            "done": {"type": "exit"}}}');
INSERT INTO cjo.events (customer_id, name) VALUES ('ann', 'signup'), ('bob', 'signup'), ('cat', 'signup'), ('dan', 'order');
SQL

/usr/bin/python3 test/worker/webhook_server.py "$WORK/port" "$WORK/requests.jsonl" &
pids+=($!)
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || fail "the webhook server did not start"
touch "$WORK/requests.jsonl"
base="http://127.0.0.1:$(cat "$WORK/port")"
hooks=(--webhook "email=$base/ok" --webhook "push=$base/flaky" --webhook "sms=$base/bad" --webhook "fax=$base/slow"
       --webhook "moved=$base/moved" --webhook "chat=$base/busy" --webhook "letter=$base/hold")
# Two attempts at most, retried at once: this part does not wait for back-offs.
export PGOPTIONS="-c cjo.max_attempts=2 -c cjo.retry_backoff=0"
# The worker runs as a role with only what it needs; $! is its pid.
worker=(env PGUSER=cjo_wk_mailer PGPASSWORD=wk-test worker/cjo-worker "${hooks[@]}")

# Every request carries Idempotency-Key cjo-action-<id> and attempt = its rank
# among the requests for that action; and each action got as many requests as
# it was claimed (cjo.actions.attempts).
check_requests() {
    local got want
    got=$(/usr/bin/python3 - "$WORK/requests.jsonl" <<'PY'
import collections, json, sys
n = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    a = r["body"]["action_id"]
    n[a] += 1
    if r["key"] != "cjo-action-%d" % a:
        sys.exit("request for action %d carried Idempotency-Key %r" % (a, r["key"]))
    if r["body"]["attempt"] != n[a]:
        sys.exit("request %d for action %d said attempt %r" % (n[a], a, r["body"]["attempt"]))
print(" ".join("%d:%d" % kv for kv in sorted(n.items())))
PY
) || fail "$got"
    want=$(sql -c "SELECT string_agg(action_id || ':' || attempts, ' ' ORDER BY action_id) FROM cjo.actions WHERE attempts > 0")
    [ "$got" = "$want" ] || fail "requests per action (id:count) [$got], claims per action [$want]"
    echo "ok - every claim made exactly one request, with the action's idempotency key and attempt number"
}

echo "# one pass: deliver what is due, then exit"
"${worker[@]}" --once --http-timeout 1 --worker test-1 2>"$WORK/worker.log" || fail "the worker exited with an error"
expect "SELECT string_agg(channel || ':' || status || ':' || attempts, ' ' ORDER BY channel, action_id) FROM cjo.actions" \
       "email:sent:1 email:sent:1 email:sent:1 fax:failed:2 moved:failed:1 push:sent:2 push:sent:2 push:sent:2 sms:failed:1" \
       "every action settled: emails sent, pushes sent on the second try, the text refused, the redirect not followed, the fax timed out twice"
[ "$(requests /ok)" = 3 ] || fail "emails: expected 3 requests, got $(requests /ok)"
[ "$(requests /flaky)" = 6 ] || fail "pushes: expected 6 requests (503 then 200 each), got $(requests /flaky)"
[ "$(requests /bad)" = 1 ] || fail "texts: expected 1 request, got $(requests /bad)"
[ "$(requests /moved)" = 1 ] || fail "redirect: expected 1 request, got $(requests /moved)"
[ "$(requests /slow)" = 2 ] || fail "faxes: expected 2 requests, got $(requests /slow)"
[ "$(wc -l <"$WORK/requests.jsonl")" = 13 ] || fail "expected 13 requests in all"
echo "ok - each webhook got exactly the requests it should"
check_requests
expect "SELECT string_agg(channel || ': ' || last_error, ', ' ORDER BY channel) FROM cjo.actions WHERE status = 'failed' AND channel <> 'fax'" \
       "moved: HTTP 302 from $base/moved, sms: HTTP 400 from $base/bad" "the refusals are recorded"
expect "SELECT last_error LIKE 'cannot reach $base/slow: %timed out' FROM cjo.actions WHERE channel = 'fax'" "t" "the time-out is recorded"
expect "SELECT count(*) FILTER (WHERE name = 'action_sent') || ' ' || count(*) FILTER (WHERE name = 'action_failed')
         || ' ' || count(*) FILTER (WHERE name = 'email_delivered') || ' ' || count(*) FROM cjo.events" \
       "6 3 3 16" "one action_sent per sent action, one action_failed per failed one, one email_delivered per email (16 events with the 4 that started the journeys)"
expect "SELECT string_agg(DISTINCT channel || ' ' || (properties - 'action_id')::text || ' ' || (idempotency_key LIKE 'action:%:event:0')::text, '; ')
          FROM cjo.events WHERE name = 'email_delivered'" \
       'email {"provider": "test"} true' "the webhook's feedback event keeps its properties, gets the action's channel and a key"
expect "SELECT string_agg(DISTINCT x, ' ' ORDER BY x) FROM (SELECT name COLLATE \"C\" || ' ' || (properties - 'action_id' - 'node' - 'journey_id')::text
          FROM cjo.events WHERE name LIKE 'action_%' AND properties->>'template' = 'receipt') e(x)" \
       "action_failed {\"error\": \"HTTP 302 from $base/moved\", \"attempts\": 1, \"template\": \"receipt\"} action_failed {\"error\": \"HTTP 400 from $base/bad\", \"attempts\": 1, \"template\": \"receipt\"} action_failed {\"error\": \"cannot reach $base/slow: timed out\", \"attempts\": 2, \"template\": \"receipt\"}" \
       "action_failed events carry the error and the attempts"
grep -q "ignoring malformed feedback event 'junk'" "$WORK/worker.log" || fail "the malformed feedback event was not reported"
grep -q "feedback event email_opened not recorded: unsupported Unicode escape sequence" "$WORK/worker.log" \
    || fail "the refused feedback event was not reported"
echo "ok - a malformed feedback event is skipped and logged; one the database refuses is logged, the others are kept"
expect "SELECT string_agg(customer_id || ':' || status, ' ' ORDER BY customer_id) FROM cjo.customer_journeys" \
       "ann:completed bob:completed cat:completed dan:completed" \
       "the delivery feedback advanced the welcome journey (email delivered -> push)"

echo "# a second pass finds nothing to do and sends nothing twice"
"${worker[@]}" --once --worker test-2 2>>"$WORK/worker.log" || fail "the worker exited with an error"
[ "$(wc -l <"$WORK/requests.jsonl")" = 13 ] || fail "a second pass sent again"
expect "SELECT count(*) FROM cjo.events" "16" "nothing delivered twice, no feedback twice"

echo "# retries wait for Retry-After, then for the back-off"
export PGOPTIONS="-c cjo.max_attempts=3 -c cjo.retry_backoff=1"
sql -c "INSERT INTO cjo.events (customer_id, name) VALUES ('ivy', 'renewal')" >/dev/null
"${worker[@]}" --once --worker test-3 2>>"$WORK/worker.log" || fail "the worker exited with an error"
expect "SELECT status || ' ' || attempts || ' ' || last_error || ' ' || round(extract(epoch FROM available_at - updated_at))
          FROM cjo.actions WHERE customer_id = 'ivy'" \
       "pending 1 HTTP 429 from $base/busy 3" "a 429 with Retry-After: 3 makes the action wait 3 s (not the 1 s back-off); --once does not wait for it"
"${worker[@]}" --poll 0.2 --worker test-3-loop 2>>"$WORK/worker.log" &
loop=$!; pids+=("$loop")
wait_for "SELECT status = 'sent' FROM cjo.actions WHERE customer_id = 'ivy'" 20 || fail "ivy's message was not sent"
kill -TERM $loop; wait $loop || fail "the worker exited with an error"
expect "SELECT status || ' ' || attempts FROM cjo.actions WHERE customer_id = 'ivy'" "sent 3" \
       "the listening worker retried when due: 429, then 503, then sent"
gaps=$(/usr/bin/python3 -c '
import json, sys
t = [r["t"] for r in map(json.loads, open(sys.argv[1])) if r["path"] == "/busy"]
print(" ".join("%.1f" % (b - a) for a, b in zip(t, t[1:])))' "$WORK/requests.jsonl")
/usr/bin/python3 -c 'import sys; g = list(map(float, sys.argv[1].split())); sys.exit(not (len(g) == 2 and g[0] >= 3 and 2 <= g[1] < 3 + 2))' "$gaps" \
    || fail "gaps between the attempts: expected 3 s (Retry-After) then 2 s (1 s back-off doubled), got [$gaps]"
echo "ok - attempts were $gaps s apart: Retry-After, then the back-off doubled"
check_requests
export PGOPTIONS="-c cjo.max_attempts=2 -c cjo.retry_backoff=0"

echo "# a worker killed while delivering loses nothing: the lease runs out, another worker delivers"
sql -c "INSERT INTO cjo.events (customer_id, name) VALUES ('joe', 'letter')" >/dev/null
"${worker[@]}" --once --lease '4 seconds' --http-timeout 20 --worker doomed 2>"$WORK/doomed.log" &
doomed=$!; pids+=("$doomed")
for _ in $(seq 50); do [ "$(requests /hold)" = 1 ] && break; sleep 0.1; done
[ "$(requests /hold)" = 1 ] || fail "the doomed worker did not deliver"
kill -KILL $doomed; wait $doomed 2>/dev/null || true
"${worker[@]}" --once --worker test-4 2>>"$WORK/worker.log" || fail "the worker exited with an error"
expect "SELECT status || ' ' || claimed_by || ' ' || attempts FROM cjo.actions WHERE customer_id = 'joe'" \
       "claimed doomed 1" "while the dead worker's lease lasts, nobody else delivers joe's letter"
wait_for "SELECT available_at <= now() FROM cjo.actions WHERE customer_id = 'joe'" 6 || fail "the lease did not run out"
"${worker[@]}" --once --worker test-4 2>>"$WORK/worker.log" || fail "the worker exited with an error"
expect "SELECT status || ' ' || claimed_by || ' ' || attempts FROM cjo.actions WHERE customer_id = 'joe'" \
       "sent test-4 2" "after the lease ran out, another worker delivered it"
expect "SELECT count(*) FROM cjo.events WHERE customer_id = 'joe' AND name LIKE 'action_%'" "1" "one action_sent event"
[ "$(grep -c "\"key\": \"cjo-action-$(action joe)\"" "$WORK/requests.jsonl")" = 2 ] || fail "joe's letter: expected 2 requests"
echo "ok - the receiver saw joe's letter twice with the same Idempotency-Key (at least once), the database once"

echo "# a worker whose lease ran out before it reported: the other worker's report counts"
sql -c "INSERT INTO cjo.events (customer_id, name) VALUES ('kim', 'letter')" >/dev/null
"${worker[@]}" --once --lease '1 second' --http-timeout 20 --worker slowpoke 2>"$WORK/slowpoke.log" &
slow=$!; pids+=("$slow")
for _ in $(seq 50); do [ "$(requests /hold)" = 3 ] && break; sleep 0.1; done
[ "$(requests /hold)" = 3 ] || fail "the slow worker did not deliver"
wait_for "SELECT available_at <= now() FROM cjo.actions WHERE customer_id = 'kim'" 3 || fail "the lease did not run out"
"${worker[@]}" --once --worker test-5 2>>"$WORK/worker.log" || fail "the worker exited with an error"
expect "SELECT status || ' ' || claimed_by || ' ' || attempts FROM cjo.actions WHERE customer_id = 'kim'" \
       "sent test-5 2" "a second worker delivered kim's letter while the first still waited for its answer"
wait $slow || fail "the slow worker exited with an error when its report came too late"
grep -q "claiming at most 1 at a time, not 10: a batch must fit in the lease (1 second) at 40 s per delivery" \
    "$WORK/slowpoke.log" || fail "the slow worker did not size its claims to its lease"
grep -q "action $(action kim) .*already settled by another worker" "$WORK/slowpoke.log" \
    || fail "the slow worker did not log that the action was already settled"
echo "ok - the slow worker's late report was refused (55000), logged, and the worker went on"
expect "SELECT count(*) FROM cjo.events WHERE customer_id = 'kim' AND name LIKE 'action_%'" "1" "one action_sent event"
check_requests

echo "# the listening worker wakes up on NOTIFY, reconnects, stops on SIGTERM"
"${worker[@]}" --poll 60 --worker test-6 2>>"$WORK/worker.log" &
loop=$!; pids+=("$loop")
sleep 1
sql -c "INSERT INTO cjo.events (customer_id, name) VALUES ('fay', 'signup')" >/dev/null
wait_for "SELECT count(*) = 2 FROM cjo.actions WHERE customer_id = 'fay' AND status = 'sent'" 10 || true
expect "SELECT string_agg(channel || ':' || status, ' ' ORDER BY action_id) FROM cjo.actions WHERE customer_id = 'fay'" \
       "email:sent push:sent" "a notification woke the worker: fay's email and push went out within seconds, not after the 60 s poll"
# The connection is lost (a DBA ends it): the worker reconnects and goes on.
sql -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'cjo-worker test-6'" >/dev/null
sleep 0.5
sql -c "INSERT INTO cjo.events (customer_id, name) VALUES ('gus', 'signup')" >/dev/null
wait_for "SELECT count(*) = 2 FROM cjo.actions WHERE customer_id = 'gus' AND status = 'sent'" 10 || true
expect "SELECT string_agg(channel || ':' || status, ' ' ORDER BY action_id) FROM cjo.actions WHERE customer_id = 'gus'" \
       "email:sent push:sent" "after its connection was killed, the worker reconnected and delivered gus's messages"
grep -q "connection lost" "$WORK/worker.log" || fail "the worker did not report the lost connection"
kill -TERM $loop
for _ in $(seq 70); do kill -0 $loop 2>/dev/null || break; sleep 0.1; done
kill -0 $loop 2>/dev/null && fail "the worker did not stop on SIGTERM"
wait $loop || fail "the worker exited with an error after SIGTERM"
echo "ok - the worker stopped on SIGTERM"

echo "# all in all"
check_requests
expect "SELECT count(*) FROM cjo.actions a
         WHERE (SELECT count(*) FROM cjo.events e
                 WHERE e.customer_id = a.customer_id AND e.name LIKE 'action_%'
                   AND (e.properties->>'action_id')::bigint = a.action_id)
               <> CASE WHEN a.status IN ('sent', 'failed') THEN 1 ELSE 0 END" \
       "0" "every settled action has exactly one action_sent or action_failed event, matching its status"
expect "SELECT count(*) FROM cjo.events e JOIN cjo.actions a ON a.action_id = (e.properties->>'action_id')::bigint
         WHERE e.name LIKE 'action_%' AND e.name <> 'action_' || a.status" "0" "and of the right kind"
expect "SELECT count(*) || ' ' || count(*) FILTER (WHERE status = 'completed') FROM cjo.customer_journeys" "9 9" \
       "every journey completed"

echo "# roles and bad usage"
if PGUSER=cjo_wk_nofeedback PGPASSWORD=wk-test worker/cjo-worker "${hooks[@]}" --once 2>"$WORK/role.log"; then
    fail "a worker that may not insert feedback events started"
fi
grep -q "may not insert feedback events: grant it cjo_ingest, or run with --no-feedback" "$WORK/role.log" \
    || fail "no clear message for a role without cjo_ingest: $(cat "$WORK/role.log")"
PGUSER=cjo_wk_nofeedback PGPASSWORD=wk-test worker/cjo-worker "${hooks[@]}" --once --no-feedback 2>>"$WORK/role.log" \
    || fail "a cjo_delivery role with --no-feedback did not run"
echo "ok - a role without cjo_ingest is refused with a clear message, and runs with --no-feedback"
if worker/cjo-worker --once 2>/dev/null; then fail "a worker without webhooks started"; fi
if worker/cjo-worker --webhook email --once 2>/dev/null; then fail "a malformed --webhook was accepted"; fi
if worker/cjo-worker --webhook email=ftp://example.com/x --once 2>/dev/null; then fail "an ftp:// webhook was accepted"; fi
if "${worker[@]}" --once --lease 'soon' 2>"$WORK/lease.log"; then fail "a malformed --lease was accepted"; fi
grep -q "lease 'soon' is not an interval" "$WORK/lease.log" || fail "no clear message for a bad lease: $(cat "$WORK/lease.log")"
echo "ok - a worker without webhooks, with a malformed one, or with a bad lease refuses to start"
echo "worker test passed"
