#!/usr/bin/env python3
"""The report of scripts/bench: from the raw outputs of one run to the table, the JSON and
the chart data, plus the two small jobs the driver needs on the way (python3, stdlib only).

Subcommands (scripts/bench calls each once per run or per pgbench run):
  pg-latency LOG_DIR        pgbench --log files (tx*) -> latency summary JSON on stdout
  report --out DIR ...      DIR/raw (manifest.tsv and every file it names, machine.txt,
                            restart.json, pg-check.txt) -> DIR/table.md (also printed),
                            DIR/results.json, DIR/bars.dat and DIR/nbars for bench/plot.gp
  update-docs DOC TABLE     puts TABLE between the bench:latest markers of DOC
                            (docs/benchmarks.md), or appends a "Latest results" section

The formats are fixed: docs/benchmarks.md and earlier results are compared with new ones.
Tests: bench/report/test_bench_report.py (ctest bench_report_test).
"""

import argparse
import glob
import json
import os
import re
import statistics
import sys

# id -> (order, scenario text, unit)
SCENARIOS = {
    "reserve-1": (1, "reserve 1 line, uniform, 1 in flight", "ops/s"),
    "reserve-64": (2, "reserve 1 line, uniform, 64 in flight", "ops/s"),
    "reserve-hot-64": (3, "reserve 1 line, hot SKU, 64 in flight", "ops/s"),
    "reserve-commit-64": (4, "reserve+commit, uniform, 64 in flight (pairs)", "ops/s"),
    "batch-100-16": (5, "reserve 100-line batch, uniform, 16 in flight", "lines/s"),
    "echo-1": (6, "gRPC echo, 1 in flight", "ops/s"),
    "echo-64": (7, "gRPC echo, 64 in flight", "ops/s"),
    "lua-uniform-p1": (8, "Lua reserve, uniform, 50 clients, pipeline 1", "ops/s"),
    "lua-uniform-p16": (9, "Lua reserve, uniform, 50 clients, pipeline 16", "ops/s"),
    "lua-hot-p1": (10, "Lua reserve, hot key, 50 clients, pipeline 1", "ops/s"),
    "lua-hot-p16": (11, "Lua reserve, hot key, 50 clients, pipeline 16", "ops/s"),
    "pg-uniform": (12, "UPDATE reserve, uniform, 16 clients", "ops/s"),
    "pg-hot": (13, "UPDATE reserve, hot SKU, 16 clients", "ops/s"),
    "session-256": (2.5, "reserve 1 line over the session stream, uniform, 256 in flight",
                    "ops/s"),
    "session-hot-256": (3.5, "reserve 1 line over the session stream, hot SKU, 256 in flight",
                        "ops/s"),
    "echo-stream-256": (7.5, "gRPC echo stream, 256 in flight", "ops/s"),
}
# system -> (order, label, chart color)
SYSTEMS = {
    "stockd-always": (1, "stockd, AOF always", 1),
    "stockd-everysec": (2, "stockd, AOF everysec", 2),
    "stockd-memory": (3, "stockd, no durability (info)", 7),
    "floor-always": (3.2, "durable floor, AOF always (info)", 8),
    "floor-everysec": (3.3, "durable floor, AOF everysec (info)", 9),
    "grpc-echo": (3, "gRPC echo server", 3),
    "redis-always": (4, "Redis+Lua, AOF always", 4),
    "redis-everysec": (5, "Redis+Lua, AOF everysec", 5),
    "postgresql": (6, "PostgreSQL 15, sync commit", 6),
}
# Scenario id -> the chart's bar label.
SHORT_LABELS = {
    "reserve-1": "reserve@1", "reserve-64": "reserve@64", "reserve-hot-64": "reserve@64 hot",
    "reserve-commit-64": "reserve+commit@64", "batch-100-16": "batch100@16 lines/s",
    "echo-1": "echo@1", "echo-64": "echo@64", "lua-uniform-p1": "Lua P1",
    "lua-uniform-p16": "Lua P16", "lua-hot-p1": "Lua P1 hot", "lua-hot-p16": "Lua P16 hot",
    "pg-uniform": "UPDATE x16", "pg-hot": "UPDATE x16 hot",
    "session-256": "session@256", "session-hot-256": "session@256 hot",
    "echo-stream-256": "echo stream@256",
}
DOCS_BEGIN = "<!-- bench:latest:begin -->"
DOCS_END = "<!-- bench:latest:end -->"


def read_text(path):
    with open(path) as f:
        return f.read()


def read_json(path):
    with open(path) as f:
        return json.load(f)


def read_key_values(path):
    """A file of space-separated key=value pairs (the driver's *.verify files)."""
    return dict(p.split("=") for p in read_text(path).split())


# ---- pgbench latency --------------------------------------------------------------------

def pg_latency(log_dir):
    """Summary of the per-transaction latencies (3rd column, microseconds) of pgbench --log
    files LOG_DIR/tx*, in milliseconds; None for every quantile when there are none."""
    lat = []
    for path in glob.glob(os.path.join(log_dir, "tx*")):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[2].isdigit():
                    lat.append(int(parts[2]))
    lat.sort()

    def q(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] / 1000.0 if lat else None

    return {"transactions": len(lat), "p50_ms": q(0.5), "p90_ms": q(0.9), "p99_ms": q(0.99),
            "p999_ms": q(0.999), "max_ms": lat[-1] / 1000.0 if lat else None,
            "mean_ms": sum(lat) / len(lat) / 1000.0 if lat else None}


# ---- parsing the raw outputs of one run ---------------------------------------------------

def read_machine(raw):
    machine = {}
    with open(os.path.join(raw, "machine.txt")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            machine[k] = v
    return machine


def parse_stockd_bench(raw, name):
    """raw/NAME.txt and NAME.json of stockd-bench; None when the run printed no RESULT."""
    txt = read_text(os.path.join(raw, name + ".txt"))
    m = re.search(r"^RESULT (.*)$", txt, re.M)
    if not m:
        return None
    kv = dict(p.split("=", 1) for p in m.group(1).split())
    run = read_json(os.path.join(raw, name + ".json")).get("run", {})
    check = "CHECK ok" in txt and "ok" or ("CHECK FAILED" in txt and "FAILED" or None)
    return {"ops_per_s": float(kv["ops_per_s"]), "lines_per_s": float(kv["lines_per_s"]),
            "p50_ms": float(kv["p50_ms"]), "p99_ms": float(kv["p99_ms"]),
            "p999_ms": float(kv["p999_ms"]), "max_ms": float(kv["max_ms"]),
            "errors": run.get("errors", {}), "errors_total": int(kv["errors"]),
            "client_cpu_cores": run.get("client_cpu_cores"), "check": check,
            "server_cpu_us_per_op": (float(kv["server_cpu_us_per_op"])
                                     if "server_cpu_us_per_op" in kv else None),
            "raw": "raw/" + name + ".txt"}


def server_cpu(raw, name, ops):
    """raw/NAME.cpu (cpu_seconds=S: the server trees' CPU around the client run, written by
    scripts/bench with stockd-bench --tree-cpu) per op of `ops`, in microseconds; None
    when there is no such file."""
    path = os.path.join(raw, name + ".cpu")
    if not os.path.exists(path) or not ops:
        return None
    return float(read_key_values(path)["cpu_seconds"]) * 1e6 / ops


def parse_redis_benchmark(raw, name):
    """raw/NAME.csv of redis-benchmark --csv and the driver's NAME.verify."""
    lines = read_text(os.path.join(raw, name + ".csv")).splitlines()
    row = [c.strip('"') for c in lines[1].split('","')]
    verify = read_key_values(os.path.join(raw, name + ".verify"))
    rps = float(row[1])
    return {"ops_per_s": rps, "lines_per_s": rps, "p50_ms": float(row[4]), "p99_ms": float(row[6]),
            "max_ms": float(row[7]), "requests": int(verify["requests"]),
            "reserved": int(verify["reserved"]), "oversold_rows": int(verify["oversold_rows"]),
            "check": "ok" if verify["oversold_rows"] == "0" else "FAILED",
            "errors_total": max(0, int(verify["requests"]) - int(verify["reserved"])),
            "server_cpu_us_per_op": server_cpu(raw, name, int(verify["requests"])),
            "raw": "raw/" + name + ".csv"}


def parse_pgbench(raw, name):
    """raw/NAME.txt of pgbench, NAME.latency.json (pg-latency), NAME.verify, pg-check.txt."""
    txt = read_text(os.path.join(raw, name + ".txt"))
    tps = float(re.search(r"^tps = ([0-9.]+)", txt, re.M).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", txt)
    lat = read_json(os.path.join(raw, name + ".latency.json"))
    check = read_text(os.path.join(raw, "pg-check.txt")).split()
    verify = read_key_values(os.path.join(raw, name + ".verify"))
    return {"ops_per_s": tps, "lines_per_s": tps, "p50_ms": lat["p50_ms"], "p99_ms": lat["p99_ms"],
            "max_ms": lat["max_ms"], "transactions": lat["transactions"],
            "errors_total": (int(failed.group(1)) if failed else 0)
                            + max(0, int(verify["transactions"]) - int(verify["reserved"])),
            "rows_reserved": int(verify["reserved"]),
            "check": "ok" if len(check) > 1 and check[1] == "0" else "FAILED",
            "server_cpu_us_per_op": server_cpu(raw, name, int(verify["transactions"])),
            "raw": "raw/" + name + ".txt"}


PARSERS = {"stockd-bench": parse_stockd_bench, "redis-benchmark": parse_redis_benchmark,
           "pgbench": parse_pgbench}


def load_runs(raw):
    """Every run the manifest names (tool, scenario id, system, repetition, raw name),
    parsed and grouped by (scenario id, system), in manifest order."""
    groups = {}
    with open(os.path.join(raw, "manifest.tsv")) as f:
        for line in f:
            tool, sid, system, rep, name = line.rstrip("\n").split("\t")
            r = PARSERS[tool](raw, name)
            if r is None:
                continue
            r["run"] = int(rep)
            groups.setdefault((sid, system), []).append(r)
    return groups


# ---- aggregation and targets --------------------------------------------------------------

def median_or_none(values):
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def aggregate(groups):
    """One row per (scenario, system): medians over the runs, in table order."""
    scenarios = []
    for (sid, system), rs in groups.items():
        unit = SCENARIOS[sid][2]
        key = "lines_per_s" if unit == "lines/s" else "ops_per_s"
        vals = [r[key] for r in rs]
        scenarios.append({
            "id": sid, "scenario": SCENARIOS[sid][1], "system": system,
            "system_label": SYSTEMS[system][1],
            "unit": unit, "runs": rs, "n_runs": len(rs),
            "value": statistics.median(vals), "min": min(vals), "max": max(vals),
            "ops_per_s": statistics.median(r["ops_per_s"] for r in rs),
            "p50_ms": statistics.median(r["p50_ms"] for r in rs),
            "p99_ms": statistics.median(r["p99_ms"] for r in rs),
            "server_cpu_us_per_op": median_or_none(r.get("server_cpu_us_per_op") for r in rs),
            "errors_total": sum(r.get("errors_total", 0) for r in rs),
            "check": "FAILED" if any(r.get("check") == "FAILED" for r in rs)
                     else ("ok" if any(r.get("check") == "ok" for r in rs) else None),
        })
    scenarios.sort(key=lambda s: (SCENARIOS[s["id"]][0], SYSTEMS[s["system"]][0]))
    return scenarios


def targets(scenarios, restart, oversold):
    """The issue's targets (PASS/MISS) and the context ratios (info), in report order."""
    by = {(s["id"], s["system"]): s for s in scenarios}

    def v(sid, system, field="value"):
        s = by.get((sid, system))
        return s.get(field) if s else None

    ratios = []

    def ratio(name, num, den, goal, kind=">=", note=""):
        value = None if num is None or den in (None, 0) else num / den
        status = "n/a" if value is None or goal is None else (
            "PASS" if (value >= goal if kind == ">=" else value <= goal) else "MISS")
        ratios.append({"name": name, "value": value, "goal": goal, "kind": kind,
                       "status": status if goal is not None else "info", "note": note})

    for f in ("always", "everysec"):
        ratio(f"stockd reserve@64 / gRPC echo@64 (AOF {f})", v("reserve-64", f"stockd-{f}"),
              v("echo-64", "grpc-echo"), 0.6)
    ratio("stockd reserve@64 / PostgreSQL, uniform (AOF always vs synchronous_commit on)",
          v("reserve-64", "stockd-always"), v("pg-uniform", "postgresql"), 4)
    ratio("stockd reserve@64 / PostgreSQL, hot SKU (AOF always vs synchronous_commit on)",
          v("reserve-hot-64", "stockd-always"), v("pg-hot", "postgresql"), 15)
    for f in ("always", "everysec"):
        ratio(f"stockd 100-line batch lines/s / Redis+Lua pipeline 16 uniform (AOF {f})",
              v("batch-100-16", f"stockd-{f}"), v("lua-uniform-p16", f"redis-{f}"), 2.5)
    for f in ("always", "everysec"):
        ratio(f"stockd hot / uniform, reserve@64 (AOF {f})", v("reserve-hot-64", f"stockd-{f}"),
              v("reserve-64", f"stockd-{f}"), 0.9)
    for f in ("always", "everysec"):
        for sid, what in (("reserve-64", "uniform"), ("reserve-hot-64", "hot SKU")):
            value = v(sid, f"stockd-{f}", "p99_ms")
            ratios.append({"name": f"stockd p99 ms, reserve@64 {what} (AOF {f})", "value": value,
                           "goal": 5.0, "kind": "<=",
                           "status": "n/a" if value is None else (
                               "PASS" if value <= 5.0 else "MISS"),
                           "note": ""})
    # The session stream (issue 17): single-line durable reserves, same data, same run.
    ratio("stockd session@256 / stockd unary reserve@64, uniform (AOF always)",
          v("session-256", "stockd-always"), v("reserve-64", "stockd-always"), 3)
    ratio("stockd session@256 / PostgreSQL, uniform (AOF always vs synchronous_commit on)",
          v("session-256", "stockd-always"), v("pg-uniform", "postgresql"), 2)
    ratio("stockd session@256 / PostgreSQL, hot SKU (AOF always vs synchronous_commit on)",
          v("session-hot-256", "stockd-always"), v("pg-hot", "postgresql"), 8)
    for sid, what in (("session-256", "uniform"), ("session-hot-256", "hot SKU")):
        value = v(sid, "stockd-always", "p99_ms")
        ratios.append({"name": f"stockd p99 ms, session@256 {what} (AOF always)", "value": value,
                       "goal": 10.0, "kind": "<=",
                       "status": "n/a" if value is None else (
                           "PASS" if value <= 10.0 else "MISS"),
                       "note": ""})
    checks = [s for s in scenarios if s["check"] is not None]
    ratios.append({"name": "zero oversell (stockd --check on every run; Redis and PostgreSQL rows scanned)",
                   "value": len(oversold), "goal": 0, "kind": "<=",
                   "status": "PASS" if not oversold and all(s["check"] == "ok" for s in checks) else "MISS",
                   "note": ", ".join(oversold)})
    ratios.append({"name": f"RSS bytes per SKU x location row at {restart['rows']:,} rows",
                   "value": restart["bytes_per_row"], "goal": 200, "kind": "<=",
                   "status": "PASS" if restart["bytes_per_row"] <= 200 else "MISS", "note": ""})
    rs_s = restart["restart_to_serving_ms"] / 1000.0
    ratios.append({"name": f"restart to serving at {restart['rows']:,} rows, s", "value": rs_s,
                   "goal": 10, "kind": "<=", "status": "PASS" if rs_s <= 10 else "MISS", "note": ""})
    # Context, no target: what the peers do at the same durability.
    ratio("info: stockd reserve@64 / Redis+Lua pipeline 1 uniform (AOF always)",
          v("reserve-64", "stockd-always"), v("lua-uniform-p1", "redis-always"), None)
    ratio("info: stockd reserve@64 / PostgreSQL uniform (AOF everysec)",
          v("reserve-64", "stockd-everysec"), v("pg-uniform", "postgresql"), None)
    # What the transport allows: no gRPC daemon on this machine beats the echo server, so
    # these bound what any "stockd / peer" ratio can reach here.
    ratio("info: stockd without durability reserve@64 / gRPC echo@64 (engine + handler cost)",
          v("reserve-64", "stockd-memory"), v("echo-64", "grpc-echo"), None)
    ratio("info: stockd reserve@64 AOF always / stockd without durability (durability cost)",
          v("reserve-64", "stockd-always"), v("reserve-64", "stockd-memory"), None)
    # The durable floor bounds the echo and batch targets from above for any design that
    # answers only after Redis has the write: the engine, service and journal of stockd with
    # a one-APPEND payload per group commit.
    for f in ("always", "everysec"):
        ratio(f"info: durable floor reserve@64 / gRPC echo@64 (AOF {f}; bound of the 0.6x goal)",
              v("reserve-64", f"floor-{f}"), v("echo-64", "grpc-echo"), None)
    for f in ("always", "everysec"):
        ratio(f"info: durable floor batch lines/s / Redis+Lua pipeline 16 (AOF {f}; bound of the 2.5x goal)",
              v("batch-100-16", f"floor-{f}"), v("lua-uniform-p16", f"redis-{f}"), None)
    ratio("info: durable floor reserve@64 / PostgreSQL uniform (AOF always; bound of the 4x goal)",
          v("reserve-64", "floor-always"), v("pg-uniform", "postgresql"), None)
    ratio("info: durable floor reserve@64 uniform / PostgreSQL hot SKU (AOF always; bound of the 15x goal)",
          v("reserve-64", "floor-always"), v("pg-hot", "postgresql"), None)
    ratio("info: stockd without durability batch lines/s / Redis+Lua pipeline 16 (AOF everysec)",
          v("batch-100-16", "stockd-memory"), v("lua-uniform-p16", "redis-everysec"), None)
    for f in ("always", "everysec"):
        ratio(f"info: stockd / durable floor, reserve@64 (AOF {f}; cost of the stored state)",
              v("reserve-64", f"stockd-{f}"), v("reserve-64", f"floor-{f}"), None)
        ratio(f"info: stockd / durable floor, batch lines/s (AOF {f}; cost of the stored state)",
              v("batch-100-16", f"stockd-{f}"), v("batch-100-16", f"floor-{f}"), None)
    # Server CPU per operation (issue 17): the server side's CPU (stockd + its redis-server;
    # redis-server; every PostgreSQL process) per op, whoever else shares the cores.
    cpu = lambda sid, system: v(sid, system, "server_cpu_us_per_op")
    ratio("server CPU per reserve: stockd (+ its Redis, AOF always) / PostgreSQL UPDATE, uniform",
          cpu("reserve-64", "stockd-always"), cpu("pg-uniform", "postgresql"), 0.5, kind="<=")
    ratio("server CPU per reserve: stockd session@256 (+ its Redis, AOF always) / PostgreSQL UPDATE, uniform",
          cpu("session-256", "stockd-always"), cpu("pg-uniform", "postgresql"), 0.5, kind="<=")
    ratio("info: server CPU per reserve: stockd (AOF always) / Redis+Lua EVALSHA, pipeline 1",
          cpu("reserve-64", "stockd-always"), cpu("lua-uniform-p1", "redis-always"), None)
    ratio("info: server CPU per reserve: stockd session@256 (AOF always) / Redis+Lua EVALSHA, pipeline 1",
          cpu("session-256", "stockd-always"), cpu("lua-uniform-p1", "redis-always"), None)
    ratio("info: gRPC echo stream@256 / gRPC echo@64 (the transport's per-call cost)",
          v("echo-stream-256", "grpc-echo"), v("echo-64", "grpc-echo"), None)
    ratio("info: stockd session@256 / gRPC echo stream@256 (AOF always)",
          v("session-256", "stockd-always"), v("echo-stream-256", "grpc-echo"), None)
    ratio("info: gRPC echo@64 / PostgreSQL uniform (ceiling of any gRPC daemon vs the 4x goal)",
          v("echo-64", "grpc-echo"), v("pg-uniform", "postgresql"), None)
    ratio("info: gRPC echo@64 / PostgreSQL hot SKU (ceiling of any gRPC daemon vs the 15x goal)",
          v("echo-64", "grpc-echo"), v("pg-hot", "postgresql"), None)
    return ratios


# ---- formatting ---------------------------------------------------------------------------

def fmt(x, digits=0):
    if x is None:
        return "—"
    if digits == 0:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def fmt_lat(x):
    return "—" if x is None else (f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 100 else f"{x:.0f}")


def markdown_table(rows, right):
    """A Markdown table of `rows` (the first is the header) with the columns whose index is
    in `right` right-aligned; every column padded to its widest cell."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]

    def line(r):
        return "| " + " | ".join(c.rjust(w) if i in right else c.ljust(w)
                                 for i, (c, w) in enumerate(zip(r, widths))) + " |"

    sep = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2))
                         for i, w in enumerate(widths)) + "|"
    return "\n".join([line(rows[0]), sep] + [line(r) for r in rows[1:]])


def scenario_rows(scenarios):
    rows = [["scenario", "system", "ops/s", "min–max", "p50 ms", "p99 ms", "server CPU µs/op",
             "notes"]]
    for s in scenarios:
        notes = []
        if s["unit"] == "lines/s":
            notes.append(f"lines/s; {fmt(s['ops_per_s'])} calls/s; latency per call")
        if s["id"] == "reserve-commit-64":
            notes.append("pairs/s; latency of the pair")
        if s["errors_total"]:
            errs = {}
            for r in s["runs"]:
                for k, n in (r.get("errors") or {}).items():
                    errs[k] = errs.get(k, 0) + n
            notes.append("errors " + (", ".join(f"{k}={n}" for k, n in errs.items())
                                      if errs else str(s["errors_total"])))
        if s["check"] == "FAILED":
            notes.append("OVERSELL")
        cpu = [r["client_cpu_cores"] for r in s["runs"] if r.get("client_cpu_cores") is not None]
        if cpu:
            notes.append(f"client CPU {statistics.median(cpu):.2f} cores")
        if s["system"].startswith("redis") and "hot" in s["id"]:
            notes.append("one key")
        rng = f"{fmt(s['min'])}–{fmt(s['max'])}" if s["n_runs"] > 1 else "1 run"
        rows.append([s["scenario"], s["system_label"], fmt(s["value"]), rng, fmt_lat(s["p50_ms"]),
                     fmt_lat(s["p99_ms"]), fmt(s["server_cpu_us_per_op"], 1), "; ".join(notes)])
    return rows


def target_rows(ratios):
    rows = [["target", "measured", "goal", "result"]]
    for r in ratios:
        if r["value"] is None:
            val = "—"
        elif "p99" in r["name"] or "restart" in r["name"]:
            val = f"{r['value']:.2f}"
        elif "RSS" in r["name"] or "oversell" in r["name"]:
            val = f"{r['value']:.0f}"
        else:
            val = f"{r['value']:.2f}×"
        goal = "—" if r["goal"] is None else (("≥ " if r["kind"] == ">=" else "≤ ") + (
            f"{r['goal']}×" if r["kind"] == ">=" else f"{r['goal']:g}"))
        status = r["status"] + (f" ({r['note']})" if r.get("note") else "")
        rows.append([r["name"], val, goal, status])
    return rows


def report_text(run, machine, scenarios, ratios, restart):
    """table.md: the header (run, machine, method), the scenario table, the target table
    and the memory/start-up line."""
    header = (f"scripts/bench ({run['mode']}) {run['started']} → {run['finished']}, "
              f"commit {machine.get('git_commit')}"
              f"{' (+ uncommitted changes)' if machine.get('git_dirty') == 'yes' else ''}\n\n"
              f"Machine: {machine.get('nproc')} cores ({machine.get('cpu')}), "
              f"{int(machine.get('mem_total_kb', '0')) // 1048576} GiB, disk {machine.get('disk')} "
              f"(rotational={machine.get('disk_rotational')}, write cache {machine.get('disk_write_cache')}, "
              f"~{machine.get('dsync_4k_writes_per_s')} O_DSYNC 4 KiB writes/s); Redis {machine.get('redis')}, "
              f"PostgreSQL {machine.get('postgresql')}, gRPC {machine.get('grpc')}.\n"
              f"NOISY SHARED MACHINE: the load generator and the server share the same {machine.get('nproc')} cores, "
              f"and other work may run here (load average {machine.get('loadavg_start')} at start, "
              f"{machine.get('loadavg_end')} at the end). stockd/echo rows: median of {run['runs']} run(s) of "
              f"{run['duration']} after {run['warmup']} warm-up (min–max of ops/s shown; p50/p99 are medians too). "
              f"Redis+Lua: one run of ~{run['lua_seconds']} s after a calibration run; "
              f"PostgreSQL: one {run['pg_seconds']} s run after a warm-up.\n")
    rs_s = restart["restart_to_serving_ms"] / 1000.0
    return (header + "\n" + markdown_table(scenario_rows(scenarios), {2, 4, 5, 6}) + "\n\n"
            + markdown_table(target_rows(ratios), {1, 2}) + "\n\n"
            f"Memory/start-up: {restart['rows']:,} rows, RSS {restart['rss_kb']:,} KiB "
            f"(empty daemon {restart['baseline_rss_kb']:,} KiB) → {restart['bytes_per_row']} bytes/row; "
            f"restart to serving {rs_s:.2f} s.\n")


def bars_text(scenarios):
    """bars.dat for bench/plot.gp: one bar per row of the table, in table order; the colour
    names the system (key), the label the scenario."""
    out = "# index\tlabel\tvalue\tcolor\n"
    for i, s in enumerate(scenarios):
        out += f"{i}\t{SHORT_LABELS[s['id']]}\t{s['value']:.1f}\t{SYSTEMS[s['system']][2]}\n"
    return out


def results_json(run, machine, scenarios, ratios, restart, oversold):
    return {"tool": "scripts/bench", "mode": run["mode"], "started_at": run["started"],
            "finished_at": run["finished"],
            "machine": machine, "noisy_shared_machine": True,
            "params": {"skus": 100000, "locations": ["wh-central", "store-berlin"], "on_hand": 1000000,
                       "hot_sku": "BENCH-000000000000", "runs_per_stockd_scenario": run["runs"],
                       "warmup": run["warmup"], "duration": run["duration"],
                       "lua_seconds": run["lua_seconds"], "pg_seconds": run["pg_seconds"],
                       "lua_clients": 50, "pg_clients": 16, "batch_lines": 100, "batch_inflight": 16},
            "scenarios": scenarios, "memory_restart": restart, "targets": ratios,
            "oversold": oversold, "chart": "chart.png", "table": "table.md"}


def write_report(out, run, oversold):
    """Reads out/raw, writes out/table.md, out/bars.dat, out/nbars and out/results.json;
    returns the text of table.md."""
    raw = os.path.join(out, "raw")
    machine = read_machine(raw)
    scenarios = aggregate(load_runs(raw))
    restart = read_json(os.path.join(raw, "restart.json"))
    ratios = targets(scenarios, restart, oversold)
    text = report_text(run, machine, scenarios, ratios, restart)
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(text)
    with open(os.path.join(out, "bars.dat"), "w") as f:
        f.write(bars_text(scenarios))
    with open(os.path.join(out, "nbars"), "w") as f:
        f.write(str(len(scenarios)))
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results_json(run, machine, scenarios, ratios, restart, oversold), f, indent=2)
    return text


# ---- docs/benchmarks.md -------------------------------------------------------------------

def updated_doc(doc, table):
    """`doc` with `table` between the bench:latest markers, or with a "Latest results"
    section appended when it has none."""
    table = table.rstrip("\n")
    block = (DOCS_BEGIN + "\n" + "_Written by `scripts/bench`; chart: [benchmarks.png](benchmarks.png)._\n\n" +
             table + "\n\n![throughput per scenario and system, log scale](benchmarks.png)\n" + DOCS_END)
    if DOCS_BEGIN in doc and DOCS_END in doc:
        return doc[:doc.index(DOCS_BEGIN)] + block + doc[doc.index(DOCS_END) + len(DOCS_END):]
    return doc.rstrip("\n") + "\n\n## Latest results\n\n" + block + "\n"


# ---- command line -------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(prog="bench_report.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pg-latency", help="pgbench --log files -> latency JSON on stdout")
    p.add_argument("log_dir")
    p = sub.add_parser("report", help="raw outputs -> table.md, results.json, bars.dat")
    p.add_argument("--out", required=True, help="the run's directory (raw outputs in OUT/raw)")
    p.add_argument("--mode", required=True, help="quick or full")
    p.add_argument("--runs", required=True, type=int, help="repetitions per stockd scenario")
    p.add_argument("--started", required=True, help="UTC start, ISO 8601")
    p.add_argument("--finished", required=True, help="UTC end, ISO 8601")
    p.add_argument("--oversold", default="", help="comma-separated runs that oversold")
    p.add_argument("--warmup", required=True, help="stockd-bench warm-up, e.g. 1s")
    p.add_argument("--duration", required=True, help="stockd-bench window, e.g. 3s")
    p.add_argument("--lua-seconds", required=True, type=int)
    p.add_argument("--pg-seconds", required=True, type=int)
    p = sub.add_parser("update-docs", help="put a table.md into docs/benchmarks.md")
    p.add_argument("doc")
    p.add_argument("table")
    args = parser.parse_args(argv)

    if args.command == "pg-latency":
        print(json.dumps(pg_latency(args.log_dir)))
    elif args.command == "report":
        run = {"mode": args.mode, "runs": args.runs, "started": args.started,
               "finished": args.finished, "warmup": args.warmup, "duration": args.duration,
               "lua_seconds": args.lua_seconds, "pg_seconds": args.pg_seconds}
        oversold = [x for x in args.oversold.split(",") if x]
        print(write_report(args.out, run, oversold))
    else:
        doc = read_text(args.doc)
        table = read_text(args.table)
        with open(args.doc, "w") as f:
            f.write(updated_doc(doc, table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
