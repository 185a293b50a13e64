"""Writes the ONNX backend tests as onnxc's conformance suite.

Run by `cargo xtask conformance` with a venv holding onnx==1.23.2 and numpy. For every test
it writes, under OUT/<suite>/<test>/:

  model.onnx        the test's model, with shape-deciding inputs frozen (the AOT rule below)
  input_<i>.npy     the run-time inputs, in the model's input order
  expected_<i>.npy  the expected outputs

and one line per test to OUT/manifest.jsonl (name, suite, category, ops, inputs, outputs,
frozen inputs, tolerances, and a reason when the test cannot be prepared at all).

Suites: `node` (onnx.backend.test.case.node.collect_testcases(); the wheel no longer ships
the files), and the wheel's data folders `light`, `pytorch-converted`, `pytorch-operator`,
`simple`.
"""

import argparse
import json
import os
import shutil
import sys
import warnings

import numpy as np
import onnx
from onnx import numpy_helper

# The AOT rule: an input whose value decides an output's shape is frozen into the model as an
# initializer before compiling (onnxc plans every shape at compile time). Op type -> indices of
# such inputs. Every other input stays a run-time input. Printed in the report.
SHAPE_DECIDING_INPUTS = {
    "Reshape": [1],
    "Slice": [1, 2, 3, 4],
    "Pad": [1, 3],
    "Resize": [1, 2, 3],
    "Upsample": [1],
    "Tile": [1],
    "Expand": [1],
    "TopK": [1],
    "Range": [0, 1, 2],
    "ConstantOfShape": [0],
    "ReduceL1": [1],
    "ReduceL2": [1],
    "ReduceLogSum": [1],
    "ReduceLogSumExp": [1],
    "ReduceMax": [1],
    "ReduceMean": [1],
    "ReduceMin": [1],
    "ReduceProd": [1],
    "ReduceSum": [1],
    "ReduceSumSquare": [1],
    "Squeeze": [1],
    "Unsqueeze": [1],
    "Split": [1],
    "OneHot": [1],
    "CenterCropPad": [1],
    "Col2Im": [1, 2],
    "MaxUnpool": [2],
    "NonMaxSuppression": [0, 1, 2, 3, 4],
    "Unique": [0],
    "NonZero": [0],
    "AffineGrid": [1],
    "Compress": [1],
    "STFT": [1, 3],
    "DFT": [1, 2],
    "HannWindow": [0],
    "HammingWindow": [0],
    "BlackmanWindow": [0],
    "MelWeightMatrix": [0, 1, 2, 3, 4],
    "If": [0],
    "Loop": [0, 1],
}

# Ops whose outputs depend only on their input's shape: a shape computed through them does not
# make the input shape-deciding.
VALUE_FREE_OPS = {"Shape", "Size"}

LOSS_OPS = {"SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss"}
STRING_OPS = {"StringNormalizer", "StringConcat", "StringSplit", "RegexFullMatch"}
CONTROL_FLOW_OPS = {"If", "Loop", "Scan"}
RANDOM_OPS = {"RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Bernoulli", "Multinomial"}
SEQUENCE_OPS = {"ConcatFromSequence", "SplitToSequence", "Optional", "OptionalGetElement", "OptionalHasElement"}
T = onnx.TensorProto
LOW_PRECISION = {
    getattr(T, n)
    for n in [
        "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "FLOAT8E8M0",
        "FLOAT4E2M1", "INT4", "UINT4", "INT2", "UINT2",
    ]
    if hasattr(T, n)
}


def all_nodes(graph):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from all_nodes(attr.g)
            for g in attr.graphs:
                yield from all_nodes(g)


def value_types(model):
    g = model.graph
    for v in list(g.input) + list(g.output) + list(g.value_info):
        yield v.type
    for init in g.initializer:
        yield init.data_type


def tensor_dtypes(model):
    """Every element type the model mentions (values, initializers, Cast targets)."""
    types = set()
    for t in value_types(model):
        if isinstance(t, int):
            types.add(t)
        elif t.HasField("tensor_type"):
            types.add(t.tensor_type.elem_type)
    for node in all_nodes(model.graph):
        for attr in node.attribute:
            if attr.name in ("to", "output_dtype") and attr.type == onnx.AttributeProto.INT:
                types.add(attr.i)
            if attr.type == onnx.AttributeProto.TENSOR:
                types.add(attr.t.data_type)
    return types


def has_non_tensor_io(model):
    for v in list(model.graph.input) + list(model.graph.output):
        if not v.type.HasField("tensor_type"):
            return True
    return False


def category(model, name=""):
    """Each test in exactly one category, first match wins (see ../shared/ANCHORS.md).

    The loss ops' `_expanded` tests (their function bodies) count as the loss op: training."""
    if name.startswith(("test_nllloss", "test_sce_")):
        return "training"
    nodes = list(all_nodes(model.graph))
    ops = {n.op_type for n in nodes}
    domains = {n.domain for n in nodes} - {"", "ai.onnx"}
    if "ai.onnx.preview.training" in domains or ops & LOSS_OPS:
        return "training"
    for n in nodes:
        if n.op_type == "Dropout" and len(n.input) >= 3 and n.input[2]:
            return "training"
        if n.op_type == "BatchNormalization":
            if any(a.name == "training_mode" and a.i == 1 for a in n.attribute) or len(n.output) > 1:
                return "training"
    if T.STRING in tensor_dtypes(model) or ops & STRING_OPS:
        return "string"
    if has_non_tensor_io(model) or ops & SEQUENCE_OPS or any(o.startswith("Sequence") for o in ops):
        return "sequence/optional/map"
    if ops & CONTROL_FLOW_OPS:
        return "control flow"
    if ops & RANDOM_OPS:
        return "random"
    if tensor_dtypes(model) & LOW_PRECISION:
        return "float8/float4/int4/int2"
    if domains:
        return "other domains"
    return "core"


def static_shape(value_info):
    """The declared shape when every dim is a number, else None."""
    t = value_info.type
    if not t.HasField("tensor_type") or not t.tensor_type.HasField("shape"):
        return None
    dims = t.tensor_type.shape.dim
    if not all(d.HasField("dim_value") for d in dims):
        return None
    return tuple(d.dim_value for d in dims)


def shape_deciding_values(g):
    """Every value of `g` whose value decides a shape: the inputs SHAPE_DECIDING_INPUTS names
    (in sub-graphs too), and, transitively, the values they are computed from. The walk stops
    at VALUE_FREE_OPS, whose outputs depend on their input's shape only."""
    nodes = list(all_nodes(g))
    producers = {out: node for node in nodes for out in node.output if out}
    pending = [
        node.input[idx]
        for node in nodes
        for idx in SHAPE_DECIDING_INPUTS.get(node.op_type, [])
        if idx < len(node.input) and node.input[idx]
    ]
    deciding = set()
    while pending:
        value = pending.pop()
        if value in deciding:
            continue
        deciding.add(value)
        node = producers.get(value)
        if node is not None and node.op_type not in VALUE_FREE_OPS:
            pending.extend(i for i in node.input if i)
    return deciding


def freeze_shape_inputs(model, inputs):
    """Applies the AOT rule; returns the names of the frozen inputs and the remaining inputs."""
    g = model.graph
    initialized = {i.name for i in g.initializer}
    graph_inputs = [v.name for v in g.input if v.name not in initialized]
    deciding = shape_deciding_values(g)
    declared = {v.name: static_shape(v) for v in g.input}
    frozen = []
    remaining = []
    for name, value in zip(graph_inputs, inputs):
        # Some test data stores a scalar input as shape [1] (or the reverse): give it the
        # model's declared shape when that is static and holds the same number of elements.
        shape = declared.get(name)
        if isinstance(value, np.ndarray) and shape is not None and value.shape != shape and value.size == int(np.prod(shape)):
            value = value.reshape(shape)
        if name in deciding and isinstance(value, np.ndarray):
            g.initializer.append(numpy_helper.from_array(value, name))
            frozen.append(name)
        else:
            remaining.append((name, value))
    keep = [v for v in g.input if v.name not in frozen]
    del g.input[:]
    g.input.extend(keep)
    return frozen, remaining


def dtype_name(array):
    return str(array.dtype)


def save_array(path, array):
    """Saves a tensor as .npy; returns None, or why it cannot be carried.

    .npy has no bfloat16: such tensors are saved as their uint16 bit patterns (the manifest
    keeps the dtype "bfloat16"), which is how onnxc's runners carry them too."""
    if not isinstance(array, np.ndarray):
        return "a non-tensor value (sequence, optional or map)"
    if str(array.dtype) == "bfloat16":
        np.save(path, np.ascontiguousarray(array).view(np.uint16), allow_pickle=False)
        return None
    if array.dtype.kind not in "biuf" or array.dtype.itemsize > 8:
        return f"element type {array.dtype} has no .npy form onnxc's runner reads"
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)
    return None


def to_numpy(value):
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    if isinstance(value, np.generic):
        return np.array(value)
    return value


def write_test(out, suite, name, model, inputs, outputs, rtol, atol, manifest):
    folder = os.path.join(out, suite, name)
    os.makedirs(folder, exist_ok=True)
    entry = {
        "name": name,
        "suite": suite,
        "dir": os.path.relpath(folder, out),
        "rtol": rtol,
        "atol": atol,
        "opset": max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0),
        "ops": sorted({n.op_type for n in all_nodes(model.graph)}),
        "category": category(model, name),
        "frozen": [],
        "inputs": [],
        "outputs": [],
        "prepare_error": None,
    }
    inputs = [to_numpy(v) for v in inputs]
    outputs = [to_numpy(v) for v in outputs]
    try:
        frozen, remaining = freeze_shape_inputs(model, inputs)
    except Exception as e:  # noqa: BLE001 - reported per test
        frozen, remaining = [], []
        entry["prepare_error"] = f"cannot freeze inputs: {e}"
    entry["frozen"] = frozen
    for i, (in_name, value) in enumerate(remaining):
        file = f"input_{i}.npy"
        why = save_array(os.path.join(folder, file), value)
        entry["inputs"].append({"name": in_name, "file": file, "dtype": dtype_name(value) if isinstance(value, np.ndarray) else "non-tensor"})
        if why and not entry["prepare_error"]:
            entry["prepare_error"] = f"input '{in_name}': {why}"
    out_names = [v.name for v in model.graph.output]
    for i, value in enumerate(outputs):
        file = f"expected_{i}.npy"
        why = save_array(os.path.join(folder, file), value)
        name_i = out_names[i] if i < len(out_names) else f"output_{i}"
        entry["outputs"].append({"name": name_i, "file": file, "dtype": dtype_name(value) if isinstance(value, np.ndarray) else "non-tensor"})
        if why and not entry["prepare_error"]:
            entry["prepare_error"] = f"output '{name_i}': {why}"
    onnx.save(model, os.path.join(folder, "model.onnx"))
    manifest.append(entry)


def node_suite(out, manifest, pattern):
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = collect_testcases()
    for case in cases:
        if pattern and pattern not in case.name:
            continue
        model = onnx.ModelProto()
        model.CopyFrom(case.model)
        inputs, outputs = case.data_sets[0]
        write_test(out, "node", case.name, model, list(inputs), list(outputs), case.rtol, case.atol, manifest)


def read_data_set(folder):
    def load(prefix):
        values = []
        i = 0
        while os.path.exists(os.path.join(folder, f"{prefix}_{i}.pb")):
            t = onnx.TensorProto()
            with open(os.path.join(folder, f"{prefix}_{i}.pb"), "rb") as f:
                t.ParseFromString(f.read())
            values.append(numpy_helper.to_array(t))
            i += 1
        return values

    return load("input"), load("output")


def folder_suite(out, data, suite, manifest, pattern):
    root = os.path.join(data, suite)
    for name in sorted(os.listdir(root)):
        if pattern and pattern not in name:
            continue
        model = onnx.load(os.path.join(root, name, "model.onnx"))
        inputs, outputs = read_data_set(os.path.join(root, name, "test_data_set_0"))
        write_test(out, suite, name, model, inputs, outputs, 1e-3, 1e-7, manifest)


def dummy_input(value_info):
    """The onnx runner's dummy data for light models: arange(n).reshape(shape) / n, float32."""
    dims = value_info.type.tensor_type.shape.dim
    shape = tuple(d.dim_value if d.HasField("dim_value") else 1 for d in dims)
    n = int(np.prod(shape))
    return (np.arange(n).reshape(shape) / n).astype(np.float32)


def light_suite(out, data, manifest, pattern):
    root = os.path.join(data, "light")
    for file in sorted(os.listdir(root)):
        if not file.endswith(".onnx"):
            continue
        model_name = file[len("light_") : -len(".onnx")]
        name = f"test_{model_name}"
        if pattern and pattern not in name:
            continue
        model = onnx.load(os.path.join(root, file))
        inits = {i.name for i in model.graph.initializer}
        inputs = [dummy_input(v) for v in model.graph.input if v.name not in inits]
        outputs = []
        i = 0
        while os.path.exists(os.path.join(root, f"light_{model_name}_output_{i}.pb")):
            t = onnx.TensorProto()
            with open(os.path.join(root, f"light_{model_name}_output_{i}.pb"), "rb") as f:
                t.ParseFromString(f.read())
            outputs.append(numpy_helper.to_array(t))
            i += 1
        with open(os.path.join(data, "real", name, "data.json")) as f:
            tol = json.load(f)
        write_test(out, "light", name, model, inputs, outputs, tol.get("rtol", 1e-3), tol.get("atol", 1e-7), manifest)


SUITE_PREFIX = {"node": "", "light": "light_", "pytorch-converted": "ptc_", "pytorch-operator": "pto_", "simple": "simple_"}


def assign_modules(manifest):
    """A unique Rust module name per test: lowercase, [a-z0-9_], from the suite and name."""
    taken = set()
    for e in manifest:
        base = "".join(c if c.isalnum() else "_" for c in (SUITE_PREFIX[e["suite"]] + e["name"]).lower())
        module, n = base, 2
        while module in taken:
            module, n = f"{base}_{n}", n + 1
        taken.add(module)
        e["module"] = module


def write_tsv(path, manifest):
    """The fields `cargo xtask conformance` needs, one test a line (std-only Rust reads it)."""
    with open(path, "w") as f:
        for e in manifest:
            inputs = "\x1f".join(f"{i['name']}\x1e{i['file']}" for i in e["inputs"])
            fields = [e["module"], e["suite"], e["name"], e["dir"], e["prepare_error"] or "", inputs]
            f.write("\t".join(x.replace("\t", " ").replace("\n", " ") for x in fields) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--filter", default="")
    args = parser.parse_args()
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    data = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")
    manifest = []
    node_suite(args.out, manifest, args.filter)
    light_suite(args.out, data, manifest, args.filter)
    for suite in ("pytorch-converted", "pytorch-operator", "simple"):
        folder_suite(args.out, data, suite, manifest, args.filter)
    assign_modules(manifest)
    write_tsv(os.path.join(args.out, "tests.tsv"), manifest)
    with open(os.path.join(args.out, "manifest.jsonl"), "w") as f:
        for entry in manifest:
            f.write(json.dumps(entry, sort_keys=True) + "\n")
    with open(os.path.join(args.out, "aot_rule.json"), "w") as f:
        json.dump(SHAPE_DECIDING_INPUTS, f, indent=1, sort_keys=True)
    counts = {}
    for e in manifest:
        counts[e["category"]] = counts.get(e["category"], 0) + 1
    print(f"generate: {len(manifest)} tests written to {args.out}: {json.dumps(counts, sort_keys=True)}", file=sys.stderr)


if __name__ == "__main__":
    main()
