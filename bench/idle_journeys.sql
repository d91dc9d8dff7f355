-- :idle more live journeys of eight nodes that listen to no event of the
-- benchmark (entry, awaited, exit and goal events nobody sends): for the
-- scaling scenario, where they must cost nothing.
SELECT cjo_publish(format($j${
  "name": "idle_%1$s",
  "entry": {"event": "idle_entry_%1$s"},
  "exit_on": [{"event": "idle_exit_%1$s"}],
  "goal": {"event": "idle_goal_%1$s", "within": "7 days"},
  "start": "hello",
  "nodes": {
    "hello":  {"type": "action", "channel": "email", "template": "idle_%1$s", "next": "listen"},
    "listen": {"type": "wait_event", "events": [{"event": "idle_wait_%1$s", "next": "route"}],
               "timeout": "1 hour", "timeout_next": "route"},
    "route":  {"type": "branch", "cases": [{"when": "$.profile.tier == \"gold\"", "next": "vip"}], "else": "pause"},
    "vip":    {"type": "action", "channel": "sms", "template": "idle_vip_%1$s", "next": "pause"},
    "pause":  {"type": "wait", "duration": "1 day", "next": "thanks"},
    "thanks": {"type": "action", "channel": "email", "template": "idle_thanks_%1$s", "next": "done"},
    "done":   {"type": "exit"}
  }}$j$, i))
  FROM generate_series(1, :idle) AS i;
