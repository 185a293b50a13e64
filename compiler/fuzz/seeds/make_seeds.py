#!/usr/bin/env python3
"""Write the tiny hand-made seed models of onnxc's fuzz targets into this folder.

Each model is a few hundred bytes and exercises one corner the golden models do not:
shape arithmetic chains, opset 7 attributes, int64 constants, broadcasting, optional inputs,
symbolic dimensions, several outputs. The .onnx files are committed (a few KiB in all), so
fuzzing needs no Python; rerun this only to change them:

    target/venv/bin/python compiler/fuzz/seeds/make_seeds.py

`cargo xtask fuzz` copies them, with the small golden models, into target/fuzz/seeds/.
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
F = TensorProto.FLOAT
I64 = TensorProto.INT64


def vi(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def model(name, nodes, inputs, outputs, inits=(), opset=17, ir=8):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="onnxc-fuzz-seeds")
    m.ir_version = ir
    onnx.checker.check_model(m)
    path = os.path.join(HERE, name + ".onnx")
    with open(path, "wb") as f:
        f.write(m.SerializeToString())
    print(path, os.path.getsize(path))


rng = np.random.default_rng(7)


def rnd(*shape):
    return rng.standard_normal(shape).astype(np.float32)


# One unary op.
model("relu", [helper.make_node("Relu", ["x"], ["y"])], [vi("x", F, [1, 4])], [vi("y", F, [1, 4])])

# Broadcasting binary ops with initializers, two outputs.
model(
    "broadcast",
    [
        helper.make_node("Add", ["x", "b"], ["s"]),
        helper.make_node("Mul", ["s", "k"], ["y"]),
        helper.make_node("Sigmoid", ["y"], ["z"]),
    ],
    [vi("x", F, [2, 3, 4])],
    [vi("y", F, [2, 3, 4]), vi("z", F, [2, 3, 4])],
    [const("b", rnd(4)), const("k", rnd(3, 1))],
)

# Conv + BatchNorm + Relu + MaxPool + GlobalAveragePool + Flatten + Gemm + Softmax.
model(
    "convnet",
    [
        helper.make_node("Conv", ["x", "w", "wb"], ["c"], pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("BatchNormalization", ["c", "g", "be", "m", "v"], ["n"], epsilon=1e-5),
        helper.make_node("Relu", ["n"], ["r"]),
        helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["p"], ["ga"]),
        helper.make_node("Flatten", ["ga"], ["f"], axis=1),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["l"], transB=1),
        helper.make_node("Softmax", ["l"], ["y"], axis=-1),
    ],
    [vi("x", F, [1, 2, 6, 6])],
    [vi("y", F, [1, 3])],
    [
        const("w", rnd(4, 2, 3, 3)),
        const("wb", rnd(4)),
        const("g", rnd(4)),
        const("be", rnd(4)),
        const("m", rnd(4)),
        const("v", np.abs(rnd(4)) + 0.5),
        const("fw", rnd(3, 4)),
        const("fb", rnd(3)),
    ],
)

# PyTorch-style Shape → Gather → Unsqueeze → Concat → Reshape chain.
model(
    "shape_chain",
    [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "i0"], ["d0"], axis=0),
        helper.make_node("Unsqueeze", ["d0", "ax"], ["d0u"]),
        helper.make_node("Concat", ["d0u", "minus1"], ["shape"], axis=0),
        helper.make_node("Reshape", ["x", "shape"], ["y"]),
    ],
    [vi("x", F, [2, 3, 4])],
    [vi("y", F, [2, 12])],
    [
        const("i0", np.array(0, dtype=np.int64)),
        const("ax", np.array([0], dtype=np.int64)),
        const("minus1", np.array([-1], dtype=np.int64)),
    ],
)

# Slice / Pad / Transpose-free data movement with constant int64 inputs, Split, Concat.
model(
    "slice_pad_split",
    [
        helper.make_node("Slice", ["x", "st", "en", "axs", "stp"], ["sl"]),
        helper.make_node("Pad", ["sl", "pads"], ["pd"], mode="constant"),
        helper.make_node("Split", ["pd", "parts"], ["a", "b"], axis=1),
        helper.make_node("Concat", ["b", "a"], ["y"], axis=1),
    ],
    [vi("x", F, [1, 8, 5])],
    [vi("y", F, [1, 6, 7])],
    [
        const("st", np.array([1], dtype=np.int64)),
        const("en", np.array([7], dtype=np.int64)),
        const("axs", np.array([1], dtype=np.int64)),
        const("stp", np.array([1], dtype=np.int64)),
        const("pads", np.array([0, 0, 1, 0, 0, 1], dtype=np.int64)),
        const("parts", np.array([2, 4], dtype=np.int64)),
    ],
)

# Constant nodes, ConstantOfShape, Expand, Tile, Where-free comparisons, Cast.
model(
    "constants",
    [
        helper.make_node("Constant", [], ["shape"], value=const("cs", np.array([2, 3], dtype=np.int64))),
        helper.make_node("ConstantOfShape", ["shape"], ["z"], value=const("cv", np.array([0.5], dtype=np.float32))),
        helper.make_node("Add", ["x", "z"], ["s"]),
        helper.make_node("Expand", ["s", "eshape"], ["e"]),
        helper.make_node("Tile", ["e", "reps"], ["t"]),
        helper.make_node("Greater", ["t", "zero"], ["gt"]),
        helper.make_node("Cast", ["gt"], ["y"], to=F),
    ],
    [vi("x", F, [1, 3])],
    [vi("y", F, [2, 2, 6])],
    [
        const("eshape", np.array([2, 2, 3], dtype=np.int64)),
        const("reps", np.array([1, 1, 2], dtype=np.int64)),
        const("zero", np.array(0.0, dtype=np.float32)),
    ],
)

# MatMul + Add (+ decomposed GELU-free) + LayerNormalization + ReduceMean + Transpose-free attention bits.
model(
    "matmul_norm",
    [
        helper.make_node("MatMul", ["x", "w"], ["mm"]),
        helper.make_node("Add", ["mm", "b"], ["a"]),
        helper.make_node("LayerNormalization", ["a", "g", "be"], ["ln"], axis=-1, epsilon=1e-5),
        helper.make_node("ReduceMean", ["ln", "axes"], ["y"], keepdims=1),
    ],
    [vi("x", F, [1, 4, 6])],
    [vi("y", F, [1, 4, 1])],
    [
        const("w", rnd(6, 5)),
        const("b", rnd(5)),
        const("g", rnd(5)),
        const("be", rnd(5)),
        const("axes", np.array([-1], dtype=np.int64)),
    ],
    opset=18,
)

# Opset 7: attribute forms that later opsets moved to inputs (Pad, Slice, Unsqueeze, Split).
model(
    "opset7",
    [
        helper.make_node("Pad", ["x"], ["p"], pads=[0, 1, 0, 1], mode="constant", value=0.0),
        helper.make_node("Slice", ["p"], ["s"], starts=[0], ends=[3], axes=[1]),
        helper.make_node("Unsqueeze", ["s"], ["u"], axes=[0]),
        helper.make_node("Split", ["u"], ["a", "b"], axis=2, split=[1, 2]),
        helper.make_node("Sum", ["b", "b"], ["y"]),
        helper.make_node("Clip", ["a"], ["c"], min=-1.0, max=1.0),
    ],
    [vi("x", F, [2, 3])],
    [vi("y", F, [1, 2, 2]), vi("c", F, [1, 2, 1])],
    opset=7,
    ir=3,
)

# A symbolic dimension: imports only with a --dim binding (the fuzz targets give none).
model(
    "symbolic",
    [helper.make_node("Tanh", ["x"], ["y"])],
    [vi("x", F, ["batch", 3])],
    [vi("y", F, ["batch", 3])],
)

# ConvTranspose, Resize, AveragePool with ceil mode, PRelu.
model(
    "upsample",
    [
        helper.make_node("ConvTranspose", ["x", "w"], ["ct"], strides=[2, 2], kernel_shape=[2, 2]),
        helper.make_node("PRelu", ["ct", "slope"], ["pr"]),
        helper.make_node("Resize", ["pr", "", "scales"], ["rs"], mode="nearest"),
        helper.make_node("AveragePool", ["rs"], ["y"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
    ],
    [vi("x", F, [1, 2, 3, 3])],
    [vi("y", F, [1, 1, 6, 6])],
    [
        const("w", rnd(2, 1, 2, 2)),
        const("slope", rnd(1, 1, 1)),
        const("scales", np.array([1, 1, 2, 2], dtype=np.float32)),
    ],
)
