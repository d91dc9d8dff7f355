#!/usr/bin/env python3
"""Folds perf samples of backends into microseconds per transaction.

    profile_fold.py RATE OFF1 ON OFF2

Each argument after the sampling rate names a pair of files: NAME.script
(perf script output, with call stacks) and NAME.tx (the transactions of the
sampled time). The trigger-off sides are averaged. A part counts the samples
whose stack passes through any of its functions (inclusive time).
"""
import sys

# (label, functions, where): where is "in" (under the trigger function),
# "out" (not under it) or "any".
TRIGGER = "cjo_events_advance"
PARTS = [
    ("everything the backend did", [], "any"),
    ("the trigger function (cjo_events_advance)", [TRIGGER], "any"),
    ("  reading the customer's states and profile (cjo_store_load)", ["cjo_store_load", "cjo_customer_profile"], "in"),
    ("    of which B-tree descents (_bt_first)", ["_bt_first"], "in"),
    ("    of which heap fetches (index_fetch_heap)", ["index_fetch_heap"], "in"),
    ("  writing states, history, messages (cjo_store_flush)", ["cjo_store_flush"], "in"),
    ("  moving the customer (cjo_apply_event)", ["cjo_apply_event"], "in"),
    ("  the customer's locks (cjo_lock_customers)", ["cjo_lock_customers"], "in"),
    ("the event's own index inserts (_bt_doinsert, outside the trigger)", ["_bt_doinsert"], "out"),
    ("signals sent at commit (kill: the WAL writer's wake-up)", ["__GI___kill", "kill"], "out"),
    ("parse and plan of the INSERT", ["raw_parser", "pg_plan_queries"], "out"),
]


def symbol(frame):
    parts = frame.strip().split(None, 1)
    if len(parts) < 2:
        return ""
    name = parts[1].rsplit(" (", 1)[0]
    if "+0x" in name:
        name = name.rsplit("+0x", 1)[0]
    return name


def stacks(path):
    """Yields each sample's call stack as a set of function names."""
    frames = []
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                if frames:
                    yield frames
                frames = []
            elif line[0] in " \t":
                frames.append(symbol(line))
    if frames:
        yield frames


def fold(name, rate):
    tx = int(open(name + ".tx").read())
    counts = [0] * len(PARTS)
    for frames in stacks(name + ".script"):
        names = set(frames)
        under = TRIGGER in names
        for i, (_, funcs, where) in enumerate(PARTS):
            if where == "in" and not under or where == "out" and under:
                continue
            if not funcs or names.intersection(funcs):
                counts[i] += 1
    return tx, [c * 1e6 / rate / max(tx, 1) for c in counts]


def main():
    rate = float(sys.argv[1])
    off1, on, off2 = (fold(n, rate) for n in sys.argv[2:5])
    off = [(a + b) / 2 for a, b in zip(off1[1], off2[1])]
    print("transactions sampled: trigger off %d and %d, on %d" % (off1[0], off2[0], on[0]))
    print("%-68s %9s %9s %9s" % ("us of samples per transaction", "off", "on", "on - off"))
    for (label, _, _), a, b in zip(PARTS, off, on[1]):
        print("%-68s %9.1f %9.1f %9.1f" % (label, a, b, b - a))


if __name__ == "__main__":
    main()
