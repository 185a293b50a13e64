"""Compares conformance outputs with the expected ones and writes the report.

Run by `cargo xtask conformance` after it compiled, built and ran every test. The pass rule is
the ONNX backend runner's: the same number of outputs, equal shapes and dtypes, and
np.testing.assert_allclose with the test's rtol / atol (1e-3 / 1e-7 for all but a few), NaN
equal to NaN.
"""

import argparse
import collections
import datetime
import json
import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import SHAPE_DECIDING_INPUTS  # noqa: E402

CATEGORIES = [
    "core",
    "control flow",
    "training",
    "string",
    "sequence/optional/map",
    "random",
    "float8/float4/int4/int2",
    "other domains",
]
SUITES = ["node", "light", "pytorch-converted", "pytorch-operator", "simple"]


def sanitize(name):
    """The runner's output file name for an output (runtime-min/src/runner.rs `sanitize`)."""
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name) or "output"


def bf16_to_f32(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def compare(entry, folder):
    """None when the outputs pass, else a one-line reason."""
    produced = sorted(f for f in os.listdir(folder) if f.endswith(".npy")) if os.path.isdir(folder) else []
    if len(produced) != len(entry["outputs"]):
        return f"{len(produced)} outputs, expected {len(entry['outputs'])}"
    for out in entry["outputs"]:
        path = os.path.join(folder, sanitize(out["name"]) + ".npy")
        if not os.path.exists(path):
            return f"output '{out['name']}' was not written"
        got = np.load(path)
        want = np.load(os.path.join(DATA, entry["dir"], out["file"]))
        if out["dtype"] == "bfloat16":
            # Both sides carry bfloat16 as uint16 bits (.npy has no bfloat16): compare as floats.
            if got.dtype != np.uint16:
                return f"output '{out['name']}': dtype {got.dtype}, expected bfloat16 (as uint16 bits)"
            got, want = bf16_to_f32(got), bf16_to_f32(want)
        if got.dtype != want.dtype:
            return f"output '{out['name']}': dtype {got.dtype}, expected {want.dtype}"
        # The ONNX runner's assert_allclose lets a 0-d result match a one-element expected
        # array (some test data stores spec scalars, e.g. MatMul 1-D x 1-D, as shape [1]).
        scalar_vs_one = got.size == want.size == 1 and (got.ndim == 0 or want.ndim == 0)
        if got.shape != want.shape and not scalar_vs_one:
            return f"output '{out['name']}': shape {list(got.shape)}, expected {list(want.shape)}"
        try:
            np.testing.assert_allclose(got, want, rtol=entry["rtol"], atol=entry["atol"], equal_nan=True)
        except AssertionError:
            g = got.astype(np.float64)
            w = want.astype(np.float64)
            with np.errstate(invalid="ignore"):
                err = np.abs(g - w)
                bad = ~((err <= entry["atol"] + entry["rtol"] * np.abs(w)) | (np.isnan(g) & np.isnan(w)))
            n_bad = int(bad.sum())
            at = np.unravel_index(int(np.argmax(np.where(bad, np.nan_to_num(err, nan=np.inf), -1))), bad.shape) if bad.size else ()
            return (
                f"output '{out['name']}': {n_bad} of {bad.size} values differ; e.g. at {list(map(int, at))} "
                f"got {g[at] if bad.size else ''}, expected {w[at] if bad.size else ''}"
            )
    return None


def pct(n, d):
    return f"{100.0 * n / d:.1f}%" if d else "—"


def onnxc_ops(root):
    """The importer's table from `onnxc ops`: op -> (first opset, last opset)."""
    exe = os.path.join(root, "target", "release", "onnxc")  # built by the (non---eval) run
    text = subprocess.run([exe, "ops"], check=True, capture_output=True, text=True).stdout
    ops = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            ops[parts[0]] = (int(parts[1]), int(parts[2]))
    return ops


def main():
    global DATA
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--outputs", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--report", required=True)
    p.add_argument("--seconds", default="?")
    p.add_argument("--eval", action="store_true")
    p.add_argument("--partial", action="store_true")
    p.add_argument("--bless", metavar="ROOT")
    p.add_argument("--check", metavar="BASELINE")
    args = p.parse_args()
    DATA = args.data

    manifest = {}
    with open(os.path.join(args.data, "manifest.jsonl")) as f:
        for line in f:
            e = json.loads(line)
            manifest[e["module"]] = e
    rows = []
    with open(args.results) as f:
        for line in f:
            module, status, message = line.rstrip("\n").split("\t", 2)
            e = manifest[module]
            if status == "ran":
                why = compare(e, os.path.join(args.outputs, module))
                verdict = ("pass", "") if why is None else ("wrong", why)
            else:
                verdict = (status, message)
            rows.append((e, verdict[0], verdict[1]))

    by_cat = collections.defaultdict(lambda: [0, 0])
    by_suite = collections.defaultdict(lambda: [0, 0])
    by_op = collections.defaultdict(lambda: [0, 0])
    for e, status, _ in rows:
        ok = status == "pass"
        if e["suite"] == "node":
            by_cat[e["category"]][0] += ok
            by_cat[e["category"]][1] += 1
            if e["category"] == "core":
                for op in e["ops"]:
                    by_op[op][0] += ok
                    by_op[op][1] += 1
        by_suite[e["suite"]][0] += ok
        by_suite[e["suite"]][1] += 1

    core_pass, core_total = by_cat["core"]
    mode = "onnxc's evaluator (`--eval`, not generated code)" if args.eval else "generated code"
    lines = [
        "# Conformance: the ONNX backend tests through onnxc",
        "",
        f"Generated by `cargo xtask conformance` on {datetime.date.today().isoformat()}: target `{args.target}`, "
        f"{mode}, onnx 1.23.2 test data, {len(rows)} tests in {args.seconds} s. Do not edit.",
        "",
        "Pass rule (the ONNX backend runner's): same number of outputs, equal shapes and dtypes, "
        "`assert_allclose` with the test's rtol/atol (1e-3 / 1e-7 unless the test says otherwise), NaN equal to NaN. "
        "As in the runner, a 0-d result matches a one-element expected array (test data that stores a spec scalar as [1]).",
        "",
        "## Node tests by category",
        "",
        "Each test in exactly one category, first match wins (see `golden/conformance/generate.py`).",
        "",
        "| category | passed | tests | rate |",
        "|---|---:|---:|---:|",
    ]
    for c in CATEGORIES:
        n, d = by_cat[c]
        lines.append(f"| {c} | {n} | {d} | {pct(n, d)} |")
    lines += ["", "## Suites", "", "| suite | passed | tests | rate |", "|---|---:|---:|---:|"]
    for s in SUITES:
        n, d = by_suite[s]
        lines.append(f"| {s} | {n} | {d} | {pct(n, d)} |")
    lines += [
        "",
        "## The AOT rule",
        "",
        "onnxc plans every shape at compile time. An input whose value decides an output's shape is frozen "
        "into the model as an initializer before compiling (op: input indices); every other input stays a "
        "run-time input. The indices below say which inputs decide shapes; a graph input counts when such an "
        "input is computed from it (through any ops but Shape and Size, which read only shapes), also inside "
        "If/Loop/Scan bodies:",
        "",
    ]
    for op, idx in sorted(SHAPE_DECIDING_INPUTS.items()):
        lines.append(f"- {op}: {', '.join(map(str, idx))}")
    lines += ["", "## Core node tests by op", "", "A test counts for every op in its model.", "", "| op | passed | tests |", "|---|---:|---:|"]
    for op in sorted(by_op):
        n, d = by_op[op]
        lines.append(f"| {op} | {n} | {d} |")
    lines += ["", "## Failures", "", "Status: prepare (the test cannot be given to onnxc), compile (onnxc refused it), "
              "build (generated code did not build), run (the program failed), wrong (outputs differ).", ""]
    for c in CATEGORIES + ["(other suites)"]:
        failures = [(e, s, m) for e, s, m in rows if s != "pass" and (e["category"] == c if e["suite"] == "node" else c == "(other suites)")]
        if not failures:
            continue
        lines += [f"### {c} ({len(failures)})", ""]
        for e, s, m in sorted(failures, key=lambda r: (r[0]["suite"], r[0]["name"])):
            name = e["name"] if e["suite"] == "node" else f"{e['suite']}/{e['name']}"
            lines.append(f"- `{name}` — {s}: {m}")
        lines.append("")
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
    with open(args.report, "w") as f:
        f.write(text)

    print()
    print(f"{'category':<26}{'passed':>8}{'tests':>8}{'rate':>9}")
    for c in CATEGORIES:
        n, d = by_cat[c]
        print(f"{c:<26}{n:>8}{d:>8}{pct(n, d):>9}")
    for s in SUITES:
        n, d = by_suite[s]
        print(f"{'suite ' + s:<26}{n:>8}{d:>8}{pct(n, d):>9}")
    statuses = collections.Counter(s for _, s, _ in rows)
    print("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    print(f"report: {args.report}")

    if args.bless:
        if args.partial or args.eval:
            print("error: --bless needs the whole suite run on generated code (no --filter, no --eval)", file=sys.stderr)
            return 2
        root = args.bless
        with open(os.path.join(root, "golden", "conformance", "REPORT.md"), "w") as f:
            f.write(text)
        with open(os.path.join(root, "golden", "conformance", "baseline.txt"), "w") as f:
            f.write(f"core {core_pass}\n")
        write_supported_ops(root, rows, args.target)
        print("blessed golden/conformance/REPORT.md, baseline.txt and SUPPORTED_OPS.md")
    if args.check:
        if args.partial:
            print("error: --check needs the whole suite (no --filter)", file=sys.stderr)
            return 2
        with open(args.check) as f:
            baseline = int(re.search(r"core (\d+)", f.read()).group(1))
        if core_pass < baseline:
            print(f"error: core pass count {core_pass} fell below the committed {baseline}", file=sys.stderr)
            return 1
        print(f"check: core pass count {core_pass} >= committed {baseline}")
    return 0


def write_supported_ops(root, rows, target):
    """SUPPORTED_OPS.md from the importer's table and the dtypes seen passing per op."""
    ops = onnxc_ops(root)
    dtypes = collections.defaultdict(set)
    tests = collections.defaultdict(lambda: [0, 0])
    for e, status, _ in rows:
        if e["suite"] != "node" or e["category"] != "core":
            continue
        for op in e["ops"]:
            tests[op][1] += 1
            if status == "pass":
                tests[op][0] += 1
                for t in e["inputs"] + e["outputs"]:
                    dtypes[op].add(t["dtype"])
    lines = [
        "# Operators onnxc supports",
        "",
        "Generated by `cargo xtask conformance --bless` from the importer's table (`onnxc ops`) and the "
        "conformance results (golden/conformance/REPORT.md). Models may use default-domain opsets "
        f"{min(a for a, _ in ops.values())} to {max(b for _, b in ops.values())}. "
        "Element types: those seen passing in the ONNX node tests that use the op (run-time inputs and outputs). "
        "Do not edit.",
        "",
        "| op | opsets | element types (passing node tests) | node tests passed | targets |",
        "|---|---|---|---:|---|",
    ]
    for op in sorted(ops):
        a, b = ops[op]
        types = ", ".join(sorted(dtypes[op])) or "—"
        n, d = tests[op]
        lines.append(f"| {op} | {a}–{b} | {types} | {n}/{d} | {target} |")
    with open(os.path.join(root, "SUPPORTED_OPS.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
