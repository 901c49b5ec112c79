#!/usr/bin/env python3
"""Tests of bench/report/bench_report.py on the fixtures in testdata/.

testdata/run/raw is a small run (every tool, repeated runs, errors, an oversell, a run
without a RESULT line); testdata/expected holds what scripts/bench's report printed and
wrote for these inputs before the report became this program (its heredocs at commit
f192d8e), so these tests prove that the output did not change. See testdata/README.md.
"""

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_report  # noqa: E402

TESTDATA = os.path.join(HERE, "testdata")
EXPECTED = os.path.join(TESTDATA, "expected")
REPORT_ARGS = ["--mode", "quick", "--runs", "3", "--started", "2026-12-02T03:20:00Z",
               "--finished", "2026-12-02T03:31:07Z",
               "--oversold", "stockd:stockd-always-reserve-hot-64-r1,redis:x,",
               "--warmup", "1s", "--duration", "3s", "--lua-seconds", "2", "--pg-seconds", "4"]


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="bench-report-test-")
        self.addCleanup(shutil.rmtree, self.tmp)


class ReportTest(TempDirTest):
    def setUp(self):
        super().setUp()
        shutil.copytree(os.path.join(TESTDATA, "run", "raw"), os.path.join(self.tmp, "raw"))

    def assertSameFile(self, name):
        self.assertEqual(read(os.path.join(EXPECTED, name)), read(os.path.join(self.tmp, name)),
                         name)

    def test_report_writes_the_expected_files(self):
        stdout = io.StringIO()
        with redirect_stdout(stdout):
            self.assertEqual(0, bench_report.main(["report", "--out", self.tmp] + REPORT_ARGS))
        self.assertEqual(read(os.path.join(EXPECTED, "report.stdout")), stdout.getvalue())
        for name in ("table.md", "results.json", "bars.dat", "nbars"):
            self.assertSameFile(name)

    def test_report_as_a_program(self):
        result = subprocess.run(
            [sys.executable, os.path.join(HERE, "bench_report.py"), "report", "--out", self.tmp]
            + REPORT_ARGS, capture_output=True, text=True, check=True)
        self.assertEqual(read(os.path.join(EXPECTED, "report.stdout")), result.stdout)
        self.assertSameFile("results.json")

    def test_results_json_content(self):
        with redirect_stdout(io.StringIO()):
            bench_report.main(["report", "--out", self.tmp] + REPORT_ARGS)
        with open(os.path.join(self.tmp, "results.json")) as f:
            result = json.load(f)
        self.assertEqual(["stockd:stockd-always-reserve-hot-64-r1", "redis:x"], result["oversold"])
        by_id = {(s["id"], s["system"]): s for s in result["scenarios"]}
        # The run without a RESULT line is left out; three runs give their median.
        self.assertNotIn(("reserve-1", "stockd-everysec"), by_id)
        reserve = by_id[("reserve-64", "stockd-always")]
        self.assertEqual((3, 13596.3, 12990.5, 14001.0),
                         (reserve["n_runs"], reserve["value"], reserve["min"], reserve["max"]))
        self.assertEqual(4, reserve["errors_total"])
        self.assertEqual("FAILED", by_id[("reserve-hot-64", "stockd-always")]["check"])
        # A batch row counts lines.
        self.assertEqual(219294.1, by_id[("batch-100-16", "stockd-everysec")]["value"])


class TargetsTest(unittest.TestCase):
    RESTART = {"rows": 1000, "restart_to_serving_ms": 12000, "rss_kb": 1, "baseline_rss_kb": 1,
               "bytes_per_row": 150}

    def scenario(self, sid, system, value, p99=1.0, check="ok"):
        return {"id": sid, "system": system, "value": value, "p99_ms": p99, "check": check}

    def test_statuses(self):
        scenarios = [self.scenario("reserve-64", "stockd-always", 600.0, p99=4.0),
                     self.scenario("echo-64", "grpc-echo", 1000.0, check=None)]
        ratios = {r["name"]: r for r in bench_report.targets(scenarios, self.RESTART, [])}
        echo = ratios["stockd reserve@64 / gRPC echo@64 (AOF always)"]
        self.assertEqual(("PASS", 0.6), (echo["status"], echo["value"]))
        self.assertEqual("n/a", ratios["stockd reserve@64 / gRPC echo@64 (AOF everysec)"]["status"])
        self.assertEqual("PASS", ratios["stockd p99 ms, reserve@64 uniform (AOF always)"]["status"])
        self.assertEqual("n/a", ratios["stockd p99 ms, reserve@64 hot SKU (AOF always)"]["status"])
        oversell = ratios["zero oversell (stockd --check on every run; Redis and PostgreSQL rows "
                          "scanned)"]
        self.assertEqual(("PASS", 0), (oversell["status"], oversell["value"]))
        self.assertEqual("PASS", ratios["RSS bytes per SKU x location row at 1,000 rows"]["status"])
        self.assertEqual("MISS", ratios["restart to serving at 1,000 rows, s"]["status"])
        info = ratios["info: stockd reserve@64 / Redis+Lua pipeline 1 uniform (AOF always)"]
        self.assertEqual(("info", None), (info["status"], info["value"]))

    def test_a_failed_check_misses_zero_oversell_without_a_named_run(self):
        scenarios = [self.scenario("reserve-64", "stockd-always", 1.0, check="FAILED")]
        ratios = bench_report.targets(scenarios, self.RESTART, [])
        oversell = [r for r in ratios if r["name"].startswith("zero oversell")][0]
        self.assertEqual(("MISS", 0), (oversell["status"], oversell["value"]))

    def test_every_target_has_the_same_keys(self):
        keys = {tuple(r) for r in bench_report.targets([], self.RESTART, ["x"])}
        self.assertEqual({("name", "value", "goal", "kind", "status", "note")}, keys)


class FormatTest(unittest.TestCase):
    def test_numbers(self):
        self.assertEqual("—", bench_report.fmt(None))
        self.assertEqual("12,346", bench_report.fmt(12345.6))
        self.assertEqual("12,345.60", bench_report.fmt(12345.6, 2))
        self.assertEqual(["—", "0.994", "26.82", "157"],
                         [bench_report.fmt_lat(x) for x in (None, 0.9944, 26.823, 156.6)])

    def test_markdown_table_pads_and_aligns(self):
        table = bench_report.markdown_table([["name", "n"], ["a", "10"], ["long", "2"]], {1})
        self.assertEqual("| name |  n |\n"
                         "|------|---:|\n"
                         "| a    | 10 |\n"
                         "| long |  2 |", table)


class PgLatencyTest(TempDirTest):
    def run_main(self, log_dir):
        stdout = io.StringIO()
        with redirect_stdout(stdout):
            self.assertEqual(0, bench_report.main(["pg-latency", log_dir]))
        return stdout.getvalue()

    def test_summary(self):
        self.assertEqual(read(os.path.join(EXPECTED, "pg-latency.json")),
                         self.run_main(os.path.join(TESTDATA, "pglog")))

    def test_no_transactions(self):
        self.assertEqual(read(os.path.join(EXPECTED, "pg-latency-empty.json")),
                         self.run_main(self.tmp))


class UpdateDocsTest(TempDirTest):
    def update(self, name):
        doc = os.path.join(self.tmp, name)
        shutil.copy(os.path.join(TESTDATA, "docs", name), doc)
        self.assertEqual(0, bench_report.main(
            ["update-docs", doc, os.path.join(TESTDATA, "docs", "table.md")]))
        return doc

    def test_replaces_the_block_between_the_markers(self):
        doc = self.update("with-markers.md")
        self.assertEqual(read(os.path.join(EXPECTED, "with-markers.md")), read(doc))

    def test_appends_a_section_without_markers_then_replaces_it(self):
        doc = self.update("without-markers.md")
        self.assertEqual(read(os.path.join(EXPECTED, "without-markers.md")), read(doc))
        once = read(doc)
        bench_report.main(["update-docs", doc, os.path.join(TESTDATA, "docs", "table.md")])
        self.assertEqual(once, read(doc))


if __name__ == "__main__":
    unittest.main()
