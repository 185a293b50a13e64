"""Times onnxruntime and tract on the golden models for `cargo xtask bench` (one thread, batch 1).

Usage: python bench.py --models-dir DIR --out results.tsv [--runs N] [--min-seconds S] MODEL [MODEL ...]

For each model: onnxruntime with one intra-op and one inter-op thread, sequential execution,
every graph optimization, inputs and outputs pre-bound through IOBinding; tract (its Python
bindings) on the same input. Each engine's per-call floor is measured on a one-Add model.
Progress goes to stderr; `--out` gets one tab-separated line per measurement:
`engine model median_us p90_us runs cpu_median_us cpu_p90_us`
(wall clock, then this thread's CPU time, which a busy machine does not inflate) (the floor is model `_floor`), or `engine model error text`,
plus `version engine x.y.z` lines.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import tract
from onnx import TensorProto, helper

WARMUP = 10
MIN_SECONDS = 1.0


def stats(samples_ns):
    s = sorted(samples_ns)
    n = len(s)
    median = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    p90 = s[max(0, -(-n * 9 // 10) - 1)]
    return {"median_us": median / 1e3, "p90_us": p90 / 1e3, "runs": n}


def time_calls(call, runs):
    for _ in range(WARMUP):
        call()
    samples, cpu = [], []
    start = time.perf_counter()
    while len(samples) < runs or (time.perf_counter() - start < MIN_SECONDS and len(samples) < 100 * runs):
        c0 = time.thread_time_ns()
        t0 = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - t0)
        cpu.append(time.thread_time_ns() - c0)
    r = stats(samples)
    c = stats(cpu)
    r["cpu_median_us"], r["cpu_p90_us"] = c["median_us"], c["p90_us"]
    return r


def inputs_of(models_dir, name, session):
    feeds = {}
    for inp in session.get_inputs():
        stem = "".join(c if c.isalnum() or c in "._-" else "_" for c in inp.name)
        feeds[inp.name] = np.ascontiguousarray(np.load(models_dir / f"{name}.{stem}.npy"))
    return feeds


def ort_session(path):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def time_ort(path, feeds, runs):
    sess = ort_session(path)
    binding = sess.io_binding()
    for name, value in feeds.items():
        binding.bind_cpu_input(name, value)
    # Run once to learn output shapes, then bind pre-allocated outputs.
    outs = sess.run(None, feeds)
    for meta, value in zip(sess.get_outputs(), outs):
        binding.bind_ortvalue_output(meta.name, ort.OrtValue.ortvalue_from_numpy(np.empty_like(value)))
    return time_calls(lambda: sess.run_with_iobinding(binding), runs)


def time_tract(path, feeds, runs):
    model = tract.onnx().load(str(path))
    for i, value in enumerate(feeds.values()):
        model.set_input_fact(i, f"{','.join(str(d) for d in value.shape)},f32")
    runnable = model.into_model().into_runnable()
    values = list(feeds.values())
    return time_calls(lambda: runnable.run(values), runs)


def add_model(path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    one = helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])
    graph = helper.make_graph([helper.make_node("Add", ["x", "one"], ["y"])], "floor", [x], [y], [one])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def main():
    global MIN_SECONDS
    ap = argparse.ArgumentParser()
    ap.add_argument("--models-dir", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--min-seconds", type=float, default=MIN_SECONDS, help="time each model for at least this long")
    ap.add_argument("models", nargs="+")
    args = ap.parse_args()
    MIN_SECONDS = args.min_seconds
    results = {"onnxruntime": {}, "tract": {}, "versions": {"onnxruntime": ort.__version__, "tract": tract.version()}}
    with tempfile.TemporaryDirectory() as tmp:
        floor = Path(tmp) / "add.onnx"
        add_model(floor)
        feeds = {"x": np.ones([1], np.float32)}
        results["onnxruntime"]["_floor"] = time_ort(floor, feeds, 2000)
        results["tract"]["_floor"] = time_tract(floor, feeds, 2000)
    for name in args.models:
        path = args.models_dir / f"{name}.onnx"
        feeds = inputs_of(args.models_dir, name, ort_session(path))
        print(f"bench.py: {name}", file=sys.stderr)
        results["onnxruntime"][name] = time_ort(path, feeds, args.runs)
        try:
            results["tract"][name] = time_tract(path, feeds, args.runs)
        except Exception as e:  # tract may not support a model; report, do not stop
            results["tract"][name] = {"error": str(e).splitlines()[0] if str(e) else type(e).__name__}
    lines = [f"version\t{k}\t{v}" for k, v in results.pop("versions").items()]
    for engine, by_model in results.items():
        for model, r in by_model.items():
            if "error" in r:
                lines.append(f"{engine}\t{model}\terror\t{r['error']}")
            else:
                lines.append(
                    f"{engine}\t{model}\t{r['median_us']:.3f}\t{r['p90_us']:.3f}\t{r['runs']}"
                    f"\t{r['cpu_median_us']:.3f}\t{r['cpu_p90_us']:.3f}"
                )
    args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
