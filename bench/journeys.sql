-- :journeys (default ten) live journeys of nine nodes each for the benchmark: entry conditions on
-- event properties, a branch on the profile, a 50/50 split with a control,
-- actions with payload templates (event, profile, entry event), a wait_event
-- with a condition and a time-out, a wait, exit events and a goal with a
-- value (leaving the journey for half of them).  Entry events rotate over
-- five names, so each of them can start two journeys; page views and email
-- opens start none (as in most shops, they are most of the traffic).
\if :{?journeys}
\else
\set journeys 10
\endif
SELECT cjo_publish(format($j${
  "name": "bench_%1$s",
  "description": "benchmark journey %1$s",
  "entry": {"event": "%2$s", "when": "$.event.properties.price >= %3$s"},
  "reentry": {"policy": "after_exit", "cooldown": "1 day"},
  "exit_on": [{"event": "unsubscribe"},
              {"event": "support_ticket", "when": "$.event.properties.severity == \"high\""}],
  "goal": {"event": "purchase", "when": "$.event.properties.amount > 20", "within": "7 days",
           "value": "$.event.properties.amount", "exit": %4$s},
  "start": "hello",
  "nodes": {
    "hello":  {"type": "action", "channel": "email", "template": "hello_%1$s",
               "payload": {"sku": "{{$.event.properties.sku}}", "tier": "{{$.profile.tier}}"}, "next": "listen"},
    "listen": {"type": "wait_event",
               "events": [{"event": "purchase", "next": "thanks"},
                          {"event": "add_to_cart", "when": "$.event.properties.qty > 1", "next": "nudge"}],
               "timeout": "1 hour", "timeout_next": "route"},
    "route":  {"type": "branch", "cases": [{"when": "$.profile.tier == \"gold\" || $.profile.vip == true", "next": "vip"}],
               "else": "ab"},
    "vip":    {"type": "action", "channel": "sms", "template": "vip_%1$s", "next": "pause"},
    "ab":     {"type": "split", "variants": [{"name": "push", "weight": 50, "next": "nudge"},
                                             {"name": "control", "weight": 50, "next": "pause", "control": true}]},
    "nudge":  {"type": "action", "channel": "push", "template": "nudge_%1$s",
               "payload": {"sku": "{{$.entry.properties.sku}}", "country": "{{$.profile.country}}"}, "next": "pause"},
    "pause":  {"type": "wait", "duration": "1 day", "next": "thanks"},
    "thanks": {"type": "action", "channel": "email", "template": "thanks_%1$s", "next": "done"},
    "done":   {"type": "exit"}
  }}$j$, i, (ARRAY['product_view', 'search', 'add_to_cart', 'app_open', 'signup'])[1 + i % 5], (i * 7) % 50,
         CASE WHEN i % 2 = 0 THEN 'true' ELSE 'false' END))
  FROM generate_series(1, :journeys) AS i;
