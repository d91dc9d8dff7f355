#!/usr/bin/env python3
"""Builds bi/grafana/cjo.json, a Grafana dashboard, from the queries in
bi/queries/*.sql. Each file starts with "-- title:", "-- panel:" (table,
stat or timeseries) and a comment that becomes the panel description. In
time series the "<column> >= now() - interval '7 days'" filter becomes
Grafana's $__timeFilter(<column>), so the dashboard's time range applies.
Run from the repository root: python3 bi/grafana/build.py"""
import json
import pathlib
import re

root = pathlib.Path(__file__).resolve().parents[2]
datasource = {"type": "grafana-postgresql-datasource", "uid": "${DS_CJO}"}
sizes = {"stat": (6, 8), "timeseries": (12, 8), "table": (24, 9)}

panels = []
x = y = 0
row_height = 0
queries = []
for n, path in enumerate(sorted((root / "bi" / "queries").glob("*.sql")), start=1):
    text = path.read_text()
    kind = re.search(r"^-- panel: (.*)$", text, re.M).group(1)
    queries.append((["stat", "timeseries", "table"].index(kind), n, kind, text))
# Stats on top, then time series, then the tables, each in file order.
for _, n, kind, text in sorted(queries):
    title = re.search(r"^-- title: (.*)$", text, re.M).group(1)
    comment = [l[3:] for l in text.splitlines() if l.startswith("-- ") and not re.match(r"-- (title|panel):", l)]
    sql = "\n".join(l for l in text.splitlines() if not l.startswith("--")).strip().rstrip(";")
    if kind == "timeseries":
        sql = re.sub(r"(\w+) >= now\(\) - interval '7 days'", r"$__timeFilter(\1)", sql)
    w, h = sizes[kind]
    if x + w > 24:
        x, y, row_height = 0, y + row_height, 0
    panel = {
        "id": n,
        "type": kind,
        "title": title,
        "description": " ".join(comment),
        "datasource": datasource,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": [{
            "refId": "A",
            "datasource": datasource,
            "editorMode": "code",
            "format": "time_series" if kind == "timeseries" else "table",
            "rawQuery": True,
            "rawSql": sql,
        }],
        "options": {},
        "fieldConfig": {"defaults": {}, "overrides": []},
    }
    if kind == "stat":
        panel["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                            "colorMode": "value", "graphMode": "none", "textMode": "auto"}
        panel["fieldConfig"]["defaults"] = {
            "unit": "s" if title.endswith("(s)") else "short",
            "thresholds": {"mode": "absolute", "steps": [{"color": "green", "value": None},
                                                         {"color": "orange", "value": 300},
                                                         {"color": "red", "value": 3600}]}}
    if kind == "timeseries":
        panel["fieldConfig"]["defaults"] = {"custom": {"drawStyle": "bars", "stacking": {"mode": "normal"},
                                                       "fillOpacity": 80}}
    if kind == "table":
        panel["options"] = {"showHeader": True, "cellHeight": "sm"}
    panels.append(panel)
    x += w
    row_height = max(row_height, h)

dashboard = {
    "__inputs": [{"name": "DS_CJO", "label": "cjo database", "description": "The PostgreSQL database where cjo is installed",
                  "type": "datasource", "pluginId": "grafana-postgresql-datasource", "pluginName": "PostgreSQL"}],
    "__requires": [{"type": "datasource", "id": "grafana-postgresql-datasource", "name": "PostgreSQL", "version": "1.0.0"},
                   {"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.4.0"}],
    "title": "cjo: customer journeys",
    "uid": "cjo-journeys",
    "description": "Funnels, conversion, experiments, outbox health and sweep lag of the cjo extension (queries from bi/queries/)",
    "tags": ["cjo", "postgresql"],
    "timezone": "browser",
    "schemaVersion": 39,
    "version": 1,
    "editable": True,
    "refresh": "1m",
    "time": {"from": "now-7d", "to": "now"},
    "templating": {"list": []},
    "annotations": {"list": []},
    "panels": panels,
}
(root / "bi" / "grafana" / "cjo.json").write_text(json.dumps(dashboard, indent=2, ensure_ascii=False) + "\n")
