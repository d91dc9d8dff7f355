#!/usr/bin/env bash
# Randomised SQL-level fuzzing of cjo against a running cluster.
#
# Mutates the valid journey documents of demo/journeys/ and doc/cookbook/
# (deleted keys, swapped types, random unicode, huge numbers, random
# durations, random jsonpath, random node references, deep nesting, duplicate
# keys, raw text damage) and feeds them to the cjo.journey input, to
# cjo_publish followed by events and cjo_advance (the engine runs the mutated
# journey), and to cjo_simulate; also fuzzes cjo_funnel steps and
# cjo_attribution parameters.  Every case runs in a subtransaction that is
# rolled back, inside a batch transaction that is rolled back too: the
# database is left as it was.
#
# Fails (exit 1) if any case ends in XX000 (internal error) or the backend
# crashes (connection lost).  Prints a table of SQLSTATE counts per kind.
#
#   PGHOST=... PGPORT=... PGUSER=... PGDATABASE=... scripts/fuzz-sql.sh [options]
#     --seed N        random seed (default 1): the same seed gives the same cases
#     --cases N       number of cases (default 5000)
#     --seconds N     stop after N seconds even if fewer cases ran (default 600)
#     --batch N       cases per psql session and transaction (default 250)
#     --keep DIR      write every case whose SQLSTATE was XX000 or that crashed
#                     the backend to DIR (default: a new temporary directory)
# The database needs the cjo extension (CREATE EXTENSION cjo).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CJO_ROOT=$ROOT
exec /usr/bin/python3 - "$@" <<'PY'
import argparse, copy, glob, json, os, random, re, subprocess, sys, tempfile, time

ROOT = os.environ["CJO_ROOT"]
ap = argparse.ArgumentParser(prog="fuzz-sql.sh")
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--cases", type=int, default=5000)
ap.add_argument("--seconds", type=float, default=600)
ap.add_argument("--batch", type=int, default=250)
ap.add_argument("--keep", default=None)
opt = ap.parse_args()
rng = random.Random(opt.seed)

SEEDS = []
for path in sorted(glob.glob(os.path.join(ROOT, "demo/journeys/*.json")) +
                   glob.glob(os.path.join(ROOT, "doc/cookbook/*.json"))):
    with open(path, encoding="utf-8") as f:
        SEEDS.append(json.load(f))
if not SEEDS:
    sys.exit("fuzz-sql: no seed documents found")

# ---------------------------------------------------------------- generators
UNICODE = ["旅程", "🚀", "👨‍👩‍👧", "שלום", "e\u0301", "\u200b", "\u2028", "\ufeff", "\U0010ffff",
           "Ω≈ç√", "\t", "\n", "\\", "\"", "'", "$", "{{", "}}", "\u0000", "\ud800", "NULL",
           "'; DROP TABLE cjo.events; --", "%s%n", "../../etc/passwd", "ſ", "İ"]
UNITS = ["s", "sec", "secs", "second", "seconds", "m", "min", "mins", "minute", "minutes",
         "h", "hour", "hours", "d", "day", "days", "w", "week", "weeks"]
BAD_UNITS = ["month", "mon", "y", "year", "fortnight", "ms", "us", "µs", "", "dayz", "日", "S", "DAYS"]
NUMBERS = [0, -0.0, 1, -1, 0.5, 1e9, 1e9 + 1, 2**31, 2**63, 2**64, 1e308, -1e308, 1e-308,
           float("nan"), float("inf"), float("-inf"), 123456789012345678901234567890]
RAW_NUMBERS = ["1e400", "-1e400", "1e-400", "-0", "0.0000000000000000000000001", "9" * 400]
PATH_ATOMS = ["$", "@", "$.event", "$.event.properties", "$.event.properties.price", "$.profile",
              "$.profile.vip", "$.entry.properties", "$.event.name", "$.event.occurred_at",
              "$.*", "$.**", "$[*]", "$[0]", "$[last]", "$.a[1 to 5]", "$.\"ü\"", "\"x\"", "1", "-1.5e3",
              "true", "null", "$.event.properties.list.size()", "$.x.type()", "$.x.double()",
              "$.x.datetime()", "$.x.keyvalue()", "$.x.abs()", "$.x.floor()", "$ ? (@ > 1)"]
PATH_OPS = ["==", "!=", "<", "<=", ">", ">=", "&&", "||", "+", "-", "*", "/", "%", "like_regex",
            "starts with"]
REGEXES = ["a", "(", ".*", "(a|b)*c", "^[a-z]+$", "\\\\d{1,3}", "(a*)*b", "[[:alpha:]]", "x{1000}",
           "(?i)x", "\\\\", "\ud83d\ude80"]


def rand_string():
    r = rng.random()
    if r < 0.4:
        return "".join(rng.choice(UNICODE) for _ in range(rng.randint(1, 4)))
    if r < 0.5:
        return rng.choice(UNICODE) * rng.choice([100, 1000, 70000])
    if r < 0.6:
        return ""
    return "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(1, 12)))


def rand_number():
    if rng.random() < 0.3:
        return RawNumber(rng.choice(RAW_NUMBERS))
    return rng.choice(NUMBERS + [rng.uniform(-1e6, 1e6), rng.randint(-10**6, 10**6)])


def rand_duration():
    r = rng.random()
    if r < 0.1:
        return rand_string()
    parts = []
    for _ in range(rng.choice([1, 1, 2, 3, 50])):
        n = rng.choice([0, 1, 2, 59, 90, 3650, 3651, 10**6, 10**15, 2**63, 10**30, -1])
        unit = rng.choice(UNITS if rng.random() < 0.8 else BAD_UNITS)
        if rng.random() < 0.3:
            unit = unit.upper() if rng.random() < 0.5 else unit.capitalize()
        sep = rng.choice(["", " ", "  ", "\t"])
        parts.append(f"{n}{sep}{unit}")
    return rng.choice([" ", "", ", ", " and "]).join(parts)


def rand_path(depth=0):
    r = rng.random()
    if depth > 3 or r < 0.3:
        p = rng.choice(PATH_ATOMS)
    elif r < 0.6:
        op = rng.choice(PATH_OPS)
        if op == "like_regex":
            p = f'{rand_path(depth + 1)} like_regex "{rng.choice(REGEXES)}"'
            if rng.random() < 0.2:
                p += f' flag "{rng.choice(["i", "x", "q", "z", "ismxq"])}"'
        elif op == "starts with":
            p = f'{rand_path(depth + 1)} starts with "{rng.choice(["a", "", "🚀"])}"'
        else:
            p = f"{rand_path(depth + 1)} {op} {rand_path(depth + 1)}"
    elif r < 0.7:
        p = f"({rand_path(depth + 1)})"
    elif r < 0.75:
        n = rng.choice([10, 100, 1000, 10000])
        p = "(" * n + "$" + ")" * n
    elif r < 0.8:
        p = "$" + ".a" * rng.choice([10, 1000, 30000])
    elif r < 0.85:
        p = f"exists({rand_path(depth + 1)})"
    elif r < 0.9:
        p = f"!({rand_path(depth + 1)})"
    elif r < 0.95:
        p = f'$.x ? (@ like_regex "{"(a|b)*" * rng.choice([1, 50, 3000])}")'
    else:
        p = rand_string()
    if rng.random() < 0.05:
        p = p[: rng.randint(0, len(p))]
    return p


class RawNumber:
    """A number written as it is into the JSON text (1e400 has no float)."""
    def __init__(self, text):
        self.text = text


def rand_value(depth=0):
    r = rng.random()
    if r < 0.25:
        return rand_string()
    if r < 0.45:
        return rand_number()
    if r < 0.55:
        return rng.choice([True, False, None])
    if r < 0.65 and depth < 3:
        return [rand_value(depth + 1) for _ in range(rng.randint(0, 3))]
    if r < 0.75 and depth < 3:
        return {rand_string()[:20]: rand_value(depth + 1) for _ in range(rng.randint(0, 3))}
    if r < 0.85:
        return rand_duration()
    return rand_path()


# ---------------------------------------------------------------- mutation
def containers(doc):
    """Every (parent, key) pair of a dict or list inside doc."""
    out = []
    stack = [doc]
    while stack:
        c = stack.pop()
        items = c.items() if isinstance(c, dict) else enumerate(c) if isinstance(c, list) else []
        for k, v in list(items):
            out.append((c, k))
            if isinstance(v, (dict, list)):
                stack.append(v)
    return out


def node_names(doc):
    nodes = doc.get("nodes") if isinstance(doc, dict) else None
    return list(nodes.keys()) if isinstance(nodes, dict) else []


REF_KEYS = {"next", "else", "timeout_next", "start"}


GOOD_DURATIONS = ["1 second", "90m", "1 Day 12 HOURS", "3650 days", "1w", "59 s", "2 days"]
GOOD_PATHS = ["$.event.properties.price > 10", "$.profile.vip == true", "exists($.event.properties.plan)",
              "$.event.properties.reason like_regex \"^up\" flag \"i\"", "$.event.properties.list.size() > 2",
              "$.event.properties.x.double() > 1", "$.event.properties.value", "$.event.properties.x.datetime() < \"2020-01-01\".datetime()"]


def mutate_light(doc):
    """Changes values but keeps the document likely valid, so the engine runs it."""
    for parent, key in containers(doc):
        v = parent[key]
        if rng.random() > 0.3:
            continue
        if key in ("duration", "timeout", "cooldown", "within"):
            parent[key] = rng.choice(GOOD_DURATIONS)
        elif key in ("when", "value"):
            parent[key] = rng.choice(GOOD_PATHS)
        elif key in ("name", "description", "template", "channel", "event") and isinstance(v, str):
            parent[key] = "".join(rng.choice(UNICODE[:12]) for _ in range(rng.randint(1, 3)))
        elif key == "weight":
            parent[key] = rng.choice([0, 1, 0.001, 1e9, 7])
    nodes = doc.get("nodes")
    if isinstance(nodes, dict) and rng.random() < 0.5:      # a unicode node name, references kept
        old = rng.choice(list(nodes))
        new = "".join(rng.choice(UNICODE[:8]) for _ in range(2)) + old
        text = json.dumps(doc, ensure_ascii=False).replace(json.dumps(old, ensure_ascii=False),
                                                            json.dumps(new, ensure_ascii=False))
        doc.clear()
        doc.update(json.loads(text))
    return ["light"]


def mutate(doc):
    if rng.random() < 0.3:
        return mutate_light(doc)
    ops = []
    for _ in range(rng.choice([1, 1, 1, 2, 3, 5])):
        pairs = containers(doc)
        if not pairs:
            break
        parent, key = rng.choice(pairs)
        op = rng.randrange(12)
        ops.append(op)
        if op == 0:                                  # delete a key / element
            del parent[key]
        elif op == 1:                                # swap the type
            parent[key] = rand_value()
        elif op == 2:                                # random unicode string
            parent[key] = rand_string()
        elif op == 3:                                # huge or odd number
            parent[key] = rand_number()
        elif op == 4:                                # random duration where durations live
            cands = [(p, k) for p, k in pairs if k in ("duration", "timeout", "cooldown", "within")]
            p, k = rng.choice(cands) if cands else (parent, key)
            p[k] = rand_duration()
        elif op == 5:                                # random jsonpath where paths live
            cands = [(p, k) for p, k in pairs if k in ("when", "value")]
            p, k = rng.choice(cands) if cands else (parent, key)
            p[k] = rand_path()
        elif op == 6:                                # random node reference
            cands = [(p, k) for p, k in pairs if k in REF_KEYS]
            p, k = rng.choice(cands) if cands else (parent, key)
            names = node_names(doc)
            p[k] = rng.choice(names + [rand_string(), "nowhere"]) if names else rand_string()
        elif op == 7:                                # unknown key
            if isinstance(parent, dict):
                parent[rand_string()[:30] or "x"] = rand_value()
        elif op == 8:                                # deep nesting
            depth = rng.choice([2, 50, 1000, 5000])
            inner = json.dumps(parent[key], default=lambda o: o.text if isinstance(o, RawNumber) else str(o))
            if rng.random() < 0.5:
                parent[key] = RawNumber("[" * depth + inner + "]" * depth)
            else:
                parent[key] = RawNumber('{"a": ' * depth + inner + "}" * depth)
        elif op == 9:                                # rename a node
            nodes = doc.get("nodes") if isinstance(doc, dict) else None
            if isinstance(nodes, dict) and nodes:
                old = rng.choice(list(nodes))
                nodes[rand_string()[:40] or "x"] = nodes.pop(old)
        elif op == 10:                               # copy a subtree elsewhere (cycles, duplicates)
            src_parent, src_key = rng.choice(pairs)
            parent[key] = copy.deepcopy(src_parent[src_key])
        else:                                        # many nodes
            nodes = doc.get("nodes") if isinstance(doc, dict) else None
            if isinstance(nodes, dict):
                n = rng.choice([10, 1000, 9990, 10001])
                names = list(nodes)
                for i in range(n):
                    nodes[f"gen{i}"] = {"type": "action", "channel": "c", "template": "t",
                                        "next": rng.choice(names) if names else "x"}
    return ops


def to_text(doc):
    raws = {}

    def default(o):
        if isinstance(o, RawNumber):
            marker = f"@@RAW{len(raws)}@@"
            raws[marker] = o.text
            return marker
        return str(o)
    ascii_only = rng.random() < 0.3
    try:
        text = json.dumps(doc, ensure_ascii=ascii_only, default=default)
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(doc, ensure_ascii=True, default=default)
    for marker, raw in raws.items():
        text = text.replace(json.dumps(marker), raw)
    r = rng.random()
    if r < 0.04 and len(text) > 2:                   # truncate
        text = text[: rng.randint(0, len(text) - 1)]
    elif r < 0.08:                                   # a duplicate key
        text = text.replace('"type": ', '"type": "exit", "type": ', 1)
    elif r < 0.12 and text:                          # damage one character
        i = rng.randrange(len(text))
        text = text[:i] + rng.choice(["{", "}", "[", "]", ",", ":", "\"", "\\", "x", "\u00e9"]) + text[i + 1:]
    return text.replace("\x00", "")


def events_of(doc):
    names = set()
    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k == "event" and isinstance(x, str):
                    names.add(x)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(doc)
    return sorted(n for n in names if "\x00" not in n)[:10]


# ---------------------------------------------------------------- SQL
TAG = "$cjofuzz$"


def q(text):
    # SQL text must be valid UTF-8 without NULs: a lone surrogate becomes "?".
    text = text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    if TAG in text:
        text = text.replace(TAG, "$cjo fuzz$")
    return f"{TAG}{text}{TAG}"


def rand_properties():
    r = rng.random()
    if r < 0.1:
        return json.dumps({"big": "x" * rng.choice([1000, 1 << 20])})
    if r < 0.2:
        depth = rng.choice([10, 1000, 5000])
        return '{"deep": ' + "[" * depth + "1" + "]" * depth + "}"
    doc = {k: rand_value() for k in rng.sample(["price", "plan", "reason", "list", "x", "a", "value", "🚀"], 3)}
    return to_text_plain(doc)


def to_text_plain(doc):
    def default(o):
        return o.text if isinstance(o, RawNumber) else str(o)
    try:
        text = json.dumps(doc, ensure_ascii=False, default=default, allow_nan=True)
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(doc, ensure_ascii=True, default=default)
    # Properties must be valid jsonb for the case to reach the engine.
    return re.sub(r"\bNaN\b|-?Infinity", "0", text).replace("\\u0000", "")


def rand_time():
    return rng.choice(["infinity", "-infinity", "2020-01-01 00:00+00", "4713-01-01 00:00+00 BC",
                       "now", "2000-02-29 12:00+14", "1970-01-01 00:00+00", "294276-12-31 00:00+00"])


def rand_interval():
    return rng.choice(["1 day", "0", "-1 day", "1 microsecond", "1000000 years", "-178000000 years",
                       "infinity", "30 days", "1 month", "00:00:00.000001", "1 hour"])


def case_sql(n):
    """One case: (kind, SQL expression returning the SQLSTATE, a repro text)."""
    r = rng.random()
    if r < 0.78:
        doc = copy.deepcopy(rng.choice(SEEDS))
        mutate(doc)
        text = to_text(doc)
        if r < 0.35:
            return "journey", f"pg_temp.fuzz_try('journey', {q(text)})", text
        if r < 0.72:
            evs = events_of(doc) or ["e"]
            return ("publish", f"pg_temp.fuzz_try('publish', {q(text)}, {q(rand_properties())}, "
                    f"{q(rand_time())}, {q(chr(10).join(evs))})", text)
        return "simulate", f"pg_temp.fuzz_try('simulate', {q(text)}, {q(rand_interval())})", text
    if r < 0.90:
        steps = []
        valid = rng.random() < 0.5
        for _ in range(rng.choice([1, 2, 3, 5] if valid else [0, 1, 2, 3, 5, 33])):
            s = rng.random()
            if valid and s < 0.6:
                steps.append(rng.choice(["a", "b", "c", "signed_up"]))
            elif valid:
                steps.append({"event": rng.choice(["a", "b", "c"]), "when": rng.choice(GOOD_PATHS)})
            elif s < 0.4:
                steps.append(rng.choice(["a", "b", "c", "signed_up", "🚀", "", rand_string()[:20]]))
            elif s < 0.8:
                st = {"event": rng.choice(["a", "b", "c"])}
                if rng.random() < 0.6:
                    st["when"] = rand_path()
                if rng.random() < 0.3:
                    st["label"] = rand_value()
                if rng.random() < 0.1:
                    st[rand_string()[:10] or "x"] = 1
                steps.append(st)
            else:
                steps.append(rand_value())
        steps_text = to_text_plain(steps) if valid or rng.random() < 0.9 else to_text_plain(rand_value())
        modes = "{" + ",".join(rng.sample(["strict_order", "strict_deduplication", "strict_increase"]
                                          + ([] if valid else ["sideways", "\"\""]), rng.randint(0, 3))) + "}"
        window = rng.choice(["1 day", "1 hour", "30 days"]) if valid else rand_interval()
        since, until = (None, None) if valid and rng.random() < 0.7 else (rand_time(), rand_time())
        args = f"{q(window)}, {q(modes)}, " + (f"{q(since)}, {q(until)}" if since else "NULL, NULL")
        return ("funnel", f"pg_temp.fuzz_try('funnel', {q(steps_text)}, {args})", steps_text)
    event = rng.choice(["b", "c", "", rand_string()[:20]])
    direct = rng.choice(["direct", "", "🚀", rand_string()[:20]])
    key = rng.choice(["value", "", "x", "🚀"])
    return ("attribution", f"pg_temp.fuzz_try('attribution', {q(event)}, {q(rand_interval())}, "
            f"{q(rand_interval())}, {q(direct)}, {q(key)})", event)


SETUP = r"""
\set ON_ERROR_STOP 0
SET client_min_messages = error;
SET statement_timeout = '30s';
SET timezone = 'UTC';
CREATE FUNCTION pg_temp.fuzz_try(kind text, doc text, a1 text DEFAULT NULL, a2 text DEFAULT NULL,
                                 a3 text DEFAULT NULL, a4 text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $f$
BEGIN
    BEGIN
        IF kind = 'journey' THEN
            PERFORM doc::cjo.journey;
        ELSIF kind = 'publish' THEN
            PERFORM cjo_publish(doc);
            INSERT INTO cjo.events (customer_id, name, properties, occurred_at)
            SELECT 'fz-' || c, e, a1::jsonb, a2::timestamptz
              FROM unnest(string_to_array(a3, E'\n')) e, generate_series(1, 3) c;
            PERFORM cjo_advance(now() + interval '3651 days');
            PERFORM count(*) FROM cjo_journey_funnel(cjo.journey_name(doc::cjo.journey));
        ELSIF kind = 'simulate' THEN
            PERFORM cjo_simulate(doc, now() - a1::interval);
        ELSIF kind = 'funnel' THEN
            PERFORM count(*) FROM cjo_funnel(doc::jsonb, a1::interval, a2::text[], a3::timestamptz, a4::timestamptz);
        ELSIF kind = 'attribution' THEN
            PERFORM count(*) FROM cjo_attribution(doc, a1::interval, a2::interval, a3, a4);
        END IF;
        RAISE EXCEPTION 'case done' USING ERRCODE = 'CJF00';
    EXCEPTION WHEN OTHERS THEN
        IF SQLSTATE = 'CJF00' THEN
            RETURN 'ok';
        END IF;
        RETURN SQLSTATE;
    END;
END $f$;
BEGIN;
-- Some events for funnels, attribution and simulations (rolled back with the batch).
INSERT INTO cjo.events (customer_id, name, channel, properties, occurred_at)
SELECT 'fz-' || (i % 7), (ARRAY['a', 'b', 'c', 'signed_up'])[1 + i % 4], (ARRAY['web', 'email', NULL])[1 + i % 3],
       jsonb_build_object('value', i, 'price', i * 3), now() - make_interval(hours => i)
  FROM generate_series(1, 40) i;
"""


def run_batch(cases):
    lines = [SETUP]
    for n, (kind, expr, _) in cases:
        lines.append(f"SELECT '{n}|{kind}|' || {expr};")
    lines.append("ROLLBACK;")
    sql = "\n".join(lines) + "\n"
    p = subprocess.run(["psql", "-X", "-q", "-At", "-v", "VERBOSITY=sqlstate", "-v", "ON_ERROR_ROLLBACK=on"], input=sql.encode("utf-8"),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def server_alive():
    p = subprocess.run(["psql", "-X", "-At", "-c", "SELECT 1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode == 0 and p.stdout.strip() == b"1"


def main():
    chk = subprocess.run(["psql", "-X", "-At", "-c", "SELECT count(*) FROM pg_extension WHERE extname = 'cjo'"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if chk.returncode != 0 or chk.stdout.strip() != b"1":
        sys.exit("fuzz-sql: cannot connect, or the database has no cjo extension: "
                 + chk.stderr.decode(errors="replace").strip())
    keep = opt.keep or tempfile.mkdtemp(prefix="cjo-fuzz-sql-")
    os.makedirs(keep, exist_ok=True)
    counts = {}
    executions = 0
    crashes = 0
    internal = 0
    unanswered = 0
    start = time.time()
    n = 0
    while n < opt.cases and time.time() - start < opt.seconds:
        batch = []
        for _ in range(min(opt.batch, opt.cases - n)):
            n += 1
            batch.append((n, case_sql(n)))
        rc, out, err = run_batch(batch)
        answered = {}
        for line in out.splitlines():
            parts = line.split("|", 2)
            if len(parts) == 3 and parts[0].isdigit():
                answered[int(parts[0])] = (parts[1], parts[2])
        lost = "server closed the connection" in err or "connection to server was lost" in err or rc == 2
        for num, (kind, expr, text) in batch:
            if num in answered:
                kind, state = answered[num]
            elif lost:
                state = "crash"
            else:
                state = "no answer"
            executions += num in answered
            counts[(kind, state)] = counts.get((kind, state), 0) + 1
            if state in ("XX000", "crash", "no answer"):
                with open(os.path.join(keep, f"case-{opt.seed}-{num}-{state.replace(' ', '_')}.txt"), "w") as f:
                    f.write(f"-- kind {kind}\n{expr}\n-- document or argument:\n{text}\n")
            if state == "XX000":
                internal += 1
            if state == "no answer":
                unanswered += 1
        if lost:
            crashes += 1
            print(f"fuzz-sql: the backend was lost in batch ending at case {n}; cases kept in {keep}",
                  file=sys.stderr)
            print(err[-2000:], file=sys.stderr)
            for _ in range(30):
                if server_alive():
                    break
                time.sleep(1)
            else:
                print("fuzz-sql: the server did not come back", file=sys.stderr)
                break
        elif err.strip():
            codes = re.findall(r"ERROR:\s+([0-9A-Z]{5})", err)
            for c in codes:
                counts[("batch", c)] = counts.get(("batch", c), 0) + 1
    elapsed = time.time() - start
    kinds = sorted({k for k, _ in counts})
    states = sorted({s for _, s in counts}, key=lambda s: (s != "ok", s))
    width = max(9, *(len(k) for k in kinds))
    print(f"{'SQLSTATE':<10}" + "".join(f"{k:>{width + 1}}" for k in kinds) + f"{'total':>8}")
    for s in states:
        row = [counts.get((k, s), 0) for k in kinds]
        print(f"{s:<10}" + "".join(f"{v:>{width + 1}}" for v in row) + f"{sum(row):>8}")
    print(f"{'total':<10}" + "".join(f"{sum(counts.get((k, s), 0) for s in states):>{width + 1}}" for k in kinds)
          + f"{sum(counts.values()):>8}")
    distinct = len({s for s in states if s not in ('ok', 'crash', 'no answer')})
    print(f"seed {opt.seed}: {executions} executions in {elapsed:.0f}s, {distinct} distinct SQLSTATEs, "
          f"{internal} XX000, {crashes} backend crashes, {unanswered} cases without an answer")
    if internal or crashes:
        print(f"fuzz-sql: FAILED; the cases are in {keep}", file=sys.stderr)
        sys.exit(1)
    if not os.listdir(keep) and not opt.keep:
        os.rmdir(keep)


main()
PY
