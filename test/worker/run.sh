#!/usr/bin/env bash
# End-to-end test of the reference delivery worker (worker/cjo-worker) against
# a real local HTTP server (test/worker/webhook_server.py) and a real database:
# deliveries, retries with Retry-After, permanent failures, time-outs up to
# cjo.max_attempts, feedback events that advance a journey, a worker that dies
# holding a lease, and the listening loop woken by NOTIFY.
# Takes a running cluster from PGHOST/PGPORT/PGUSER; creates and drops its own
# database:    bash test/worker/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export PGDATABASE=cjo_worker_test
WORK=$(mktemp -d)
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    jobs -p | xargs -r kill 2>/dev/null || true
    rm -rf "$WORK"
    dropdb --if-exists cjo_worker_test 2>/dev/null || true
}
trap cleanup EXIT
fail() { echo "worker test FAILED: $*" >&2; exit 1; }
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
# Compares the output of a query with the expected text.
expect() {
    local got
    got=$(sql -c "$1")
    [ "$got" = "$2" ] || fail "$3: expected [$2], got [$got]"
    echo "ok - $3"
}

dropdb --if-exists cjo_worker_test
createdb cjo_worker_test
sql -c 'CREATE EXTENSION cjo' >/dev/null
# A welcome journey: an email, then wait until it is delivered (the webhook's
# feedback event), then a push; and an order journey with one text message.
sql >/dev/null <<'SQL'
SELECT cjo_publish('{"name": "wk_welcome", "entry": {"event": "signup"}, "start": "mail",
  "nodes": {"mail": {"type": "action", "channel": "email", "template": "welcome", "next": "delivered"},
            "delivered": {"type": "wait_event", "events": [{"event": "email_delivered", "next": "push"}],
                          "timeout": "1 day", "timeout_next": "done"},
            "push": {"type": "action", "channel": "push", "template": "thanks", "next": "done"},
            "done": {"type": "exit"}}}');
SELECT cjo_publish('{"name": "wk_order", "entry": {"event": "order"}, "start": "text",
  "nodes": {"text": {"type": "action", "channel": "sms", "template": "receipt", "next": "late"},
            "late": {"type": "action", "channel": "fax", "template": "receipt", "next": "done"},
            "done": {"type": "exit"}}}');
INSERT INTO cjo.events (customer_id, name) VALUES ('ann', 'signup'), ('bob', 'signup'), ('cat', 'signup'), ('dan', 'order');
SQL

/usr/bin/python3 test/worker/webhook_server.py "$WORK/port" "$WORK/requests.jsonl" &
server=$!
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
[ -s "$WORK/port" ] || fail "the webhook server did not start"
base="http://127.0.0.1:$(cat "$WORK/port")"
hooks=(--webhook "email=$base/ok" --webhook "push=$base/flaky" --webhook "sms=$base/bad" --webhook "fax=$base/slow")
# Two attempts at most, retried at once: the test does not wait for back-offs.
export PGOPTIONS="-c cjo.max_attempts=2 -c cjo.retry_backoff=0"
requests() { grep -c "\"path\": \"$1\"" "$WORK/requests.jsonl" || true; }

echo "# one pass: deliver what is due, then exit"
worker/cjo-worker "${hooks[@]}" --once --http-timeout 1 --worker test-1 2>"$WORK/worker.log" \
    || { cat "$WORK/worker.log"; fail "the worker exited with an error"; }
expect "SELECT string_agg(channel || ':' || status || ':' || attempts, ' ' ORDER BY channel, action_id) FROM cjo.actions" \
       "email:sent:1 email:sent:1 email:sent:1 fax:failed:2 push:sent:2 push:sent:2 push:sent:2 sms:failed:1" \
       "every action settled: emails sent, pushes sent on the second try, the text refused, the fax timed out twice"
[ "$(requests /ok)" = 3 ] || fail "emails: expected 3 requests, got $(requests /ok)"
[ "$(requests /flaky)" = 6 ] || fail "pushes: expected 6 requests (503 then 200 each), got $(requests /flaky)"
[ "$(requests /bad)" = 1 ] || fail "texts: expected 1 request, got $(requests /bad)"
[ "$(requests /slow)" = 2 ] || fail "faxes: expected 2 requests, got $(requests /slow)"
echo "ok - each webhook got exactly the requests it should"
keys=$(grep -o '"key": "[^"]*"' "$WORK/requests.jsonl" | sort | uniq -c | awk '{print $1}' | sort -u | tr '\n' ' ')
[ "$keys" = "1 2 " ] || fail "idempotency keys: expected each once (email, text) or twice (retried), got counts [$keys]"
echo "ok - every request carried the action's idempotency key"
expect "SELECT last_error FROM cjo.actions WHERE channel = 'sms'" "HTTP 400 from $base/bad" "the refusal is recorded"
expect "SELECT last_error LIKE 'cannot reach $base/slow%' FROM cjo.actions WHERE channel = 'fax'" "t" "the time-out is recorded"
expect "SELECT string_agg(name, ' ' ORDER BY name) FROM (SELECT name, count(*) FROM cjo.events
         WHERE name IN ('action_sent', 'action_failed', 'email_delivered', 'push_delivered') GROUP BY 1) e(name, n)" \
       "action_failed action_sent email_delivered" "feedback events were inserted"
expect "SELECT count(*) FILTER (WHERE name = 'action_sent') || ' ' || count(*) FILTER (WHERE name = 'action_failed')
         || ' ' || count(*) FILTER (WHERE name = 'email_delivered') FROM cjo.events" \
       "6 2 3" "one action_sent per sent action, one action_failed per failed one, one email_delivered per email"
expect "SELECT string_agg(customer_id || ':' || node || ':' || status, ' ' ORDER BY customer_id) FROM cjo.customer_journeys" \
       "ann:done:completed bob:done:completed cat:done:completed dan:done:completed" \
       "the delivery feedback advanced the journey (email delivered -> push)"

echo "# a second pass finds nothing to do and sends nothing twice"
worker/cjo-worker "${hooks[@]}" --once --worker test-2 2>>"$WORK/worker.log"
[ "$(wc -l <"$WORK/requests.jsonl")" = 12 ] || fail "a second pass sent again"
echo "ok - nothing delivered twice"

echo "# a worker that dies holding a lease loses nothing"
sql -c "INSERT INTO cjo.events (customer_id, name) VALUES ('eve', 'signup')" >/dev/null
expect "SELECT count(*) FROM cjo_claim(10, '1 second', ARRAY['email'], 'dead-worker')" "1" "a worker claims eve's email and dies"
worker/cjo-worker "${hooks[@]}" --once --worker test-3 2>>"$WORK/worker.log"
expect "SELECT status FROM cjo.actions WHERE customer_id = 'eve' AND channel = 'email'" "claimed" \
       "while the lease lasts, nobody else delivers it"
sleep 1.2
worker/cjo-worker "${hooks[@]}" --once --worker test-4 2>>"$WORK/worker.log"
expect "SELECT status || ' ' || claimed_by || ' ' || attempts FROM cjo.actions WHERE customer_id = 'eve' AND channel = 'email'" \
       "sent test-4 2" "after the lease ran out, another worker delivered it"
[ "$(grep -c '"key": "cjo-action-9"' "$WORK/requests.jsonl")" = 1 ] || fail "eve's email: expected one delivery"
echo "ok - eve's email was delivered once"

echo "# the listening worker wakes up on NOTIFY and stops on SIGTERM"
worker/cjo-worker "${hooks[@]}" --poll 60 --worker test-5 2>>"$WORK/worker.log" &
loop=$!
sleep 1
sql -c "INSERT INTO cjo.events (customer_id, name) VALUES ('fay', 'signup')" >/dev/null
for _ in $(seq 50); do
    [ "$(sql -c "SELECT count(*) FROM cjo.actions WHERE customer_id = 'fay' AND status = 'sent'")" = 2 ] && break
    sleep 0.1
done
expect "SELECT string_agg(channel || ':' || status, ' ' ORDER BY action_id) FROM cjo.actions WHERE customer_id = 'fay'" \
       "email:sent push:sent" "a notification woke the worker: fay's email and push went out within seconds, not after the 60 s poll"
# The connection is lost (a DBA ends it): the worker reconnects and goes on.
sql -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'cjo-worker test-5'" >/dev/null
sleep 0.5
sql -c "INSERT INTO cjo.events (customer_id, name) VALUES ('gus', 'signup')" >/dev/null
for _ in $(seq 80); do
    [ "$(sql -c "SELECT count(*) FROM cjo.actions WHERE customer_id = 'gus' AND status = 'sent'")" = 2 ] && break
    sleep 0.1
done
expect "SELECT string_agg(channel || ':' || status, ' ' ORDER BY action_id) FROM cjo.actions WHERE customer_id = 'gus'" \
       "email:sent push:sent" "after its connection was killed, the worker reconnected and delivered gus's messages"
grep -q "connection lost" "$WORK/worker.log" || fail "the worker did not report the lost connection"
kill -TERM $loop
for _ in $(seq 70); do kill -0 $loop 2>/dev/null || break; sleep 0.1; done
kill -0 $loop 2>/dev/null && fail "the worker did not stop on SIGTERM"
wait $loop || fail "the worker exited with an error after SIGTERM"
echo "ok - the worker stopped on SIGTERM"

echo "# bad usage"
if worker/cjo-worker --once 2>/dev/null; then fail "a worker without webhooks started"; fi
if worker/cjo-worker --webhook email --once 2>/dev/null; then fail "a malformed --webhook was accepted"; fi
echo "ok - a worker without webhooks, or with a malformed one, refuses to start"
echo "worker test passed"
