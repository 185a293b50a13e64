#!/usr/bin/env python3
"""Generate the golden ONNX models and reference outputs used by onnxc's tests.

Requires only onnx, onnxruntime and numpy (see `cargo xtask golden`, which
pins their versions in target/golden-venv).

For every model <name> this writes into golden/models/:

    <name>.onnx                      the model (opset 17, ir_version 8)
    <name>.<input>.npy               one random-normal float32 array per input
    <name>.<output>.expected.npy     onnxruntime's result for each output
                                     (CPUExecutionProvider, graph optimizations
                                     disabled, one thread)
    MANIFEST.txt                     shapes, parameter counts, MACs, hashes

Everything is seeded, so two runs produce byte-identical .onnx and input .npy
files.  The expected outputs are byte-identical across runs on one machine;
onnxruntime may pick different kernels on other CPUs, so compare those with a
tolerance (`--check` does).

Usage:
    make_models.py [--out DIR]     generate (default: golden/models next to
                                   this script's parent directory)
    make_models.py --check [--out DIR]
                                   regenerate into a temporary directory and
                                   compare with DIR (default golden/models);
                                   exits 1 on a mismatch
"""

import argparse
import hashlib
import math
import os
import shutil
import sys
import tempfile
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
PRODUCER = "onnxc-golden/make_models.py"

FLOAT = TensorProto.FLOAT
INT64 = TensorProto.INT64


# --------------------------------------------------------------------------
# graph builder
# --------------------------------------------------------------------------


def scope_path(scope):
    """'layer1.0.conv1' -> '/layer1/layer1.0/conv1' (PyTorch export style:
    a numeric part is glued to its parent, as for nn.Sequential children)."""
    if not scope:
        return ""
    levels = []
    prev = None
    for part in scope.split("."):
        if part.isdigit() and prev is not None:
            prev = prev + "." + part
        else:
            prev = part
        levels.append(prev)
    return "/" + "/".join(levels)


class Builder:
    def __init__(self, name, seed):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes = []
        self.initializers = []
        self.inputs = []
        self.outputs = []
        self.node_names = set()
        self.tensor_names = set()
        # initializer name -> "param" (trainable), "buffer" (BN running
        # statistics) or "const" (shape constants, clip bounds, ...)
        self.kinds = {}

    # ---- naming -----------------------------------------------------------

    def _unique_node_name(self, base):
        name = base
        k = 1
        while name in self.node_names:
            name = "%s_%d" % (base, k)
            k += 1
        self.node_names.add(name)
        return name

    def _claim_tensor(self, name):
        if name in self.tensor_names:
            raise ValueError("duplicate tensor name %r in %s" % (name, self.name))
        self.tensor_names.add(name)
        return name

    # ---- graph elements ---------------------------------------------------

    def input(self, name, shape):
        self._claim_tensor(name)
        self.inputs.append(helper.make_tensor_value_info(name, FLOAT, shape))
        return name

    def output(self, name, shape):
        """Declare an existing tensor as graph output."""
        assert name in self.tensor_names, name
        self.outputs.append(helper.make_tensor_value_info(name, FLOAT, shape))
        return name

    def init(self, name, arr, kind):
        assert kind in ("param", "buffer", "const")
        self._claim_tensor(name)
        arr = np.array(arr, order="C", copy=True)  # (ascontiguousarray would make 0-d arrays 1-d)
        self.initializers.append(numpy_helper.from_array(arr, name))
        self.kinds[name] = kind
        return name

    def op(self, op_type, inputs, scope="", outputs=None, n_out=1, **attrs):
        """Add a node named '<scope path>/<OpType>[_k]'.  Its outputs are
        named '<node name>_output_<i>' unless `outputs` is given.  Returns
        the output name (or the list of names when n_out > 1)."""
        name = self._unique_node_name(scope_path(scope) + "/" + op_type)
        if outputs is None:
            outputs = ["%s_output_%d" % (name, i) for i in range(n_out)]
        for o in outputs:
            self._claim_tensor(o)
        for i in inputs:
            assert i == "" or i in self.tensor_names, (self.name, op_type, i)
        self.nodes.append(helper.make_node(op_type, inputs, outputs, name=name, **attrs))
        return outputs[0] if len(outputs) == 1 else outputs

    def constant(self, value, scope=""):
        """A Constant node (how PyTorch exports literals)."""
        value = np.asarray(value)
        tensor = numpy_helper.from_array(value, "")
        return self.op("Constant", [], scope, value=tensor)

    # ---- random parameters ------------------------------------------------

    def he(self, shape, fan_in):
        w = self.rng.standard_normal(shape, dtype=np.float32)
        return (w * np.float32(math.sqrt(2.0 / fan_in))).astype(np.float32)

    def small(self, n):
        return (self.rng.standard_normal(n, dtype=np.float32) * np.float32(0.05)).astype(np.float32)

    # ---- layers -----------------------------------------------------------

    def conv(self, x, scope, cin, cout, k, stride=1, pads=None, group=1, bias=False):
        kh, kw = (k, k) if isinstance(k, int) else k
        if pads is None:
            pads = [kh // 2, kw // 2, kh // 2, kw // 2]
        fan_in = (cin // group) * kh * kw
        w = self.init(scope + ".weight", self.he((cout, cin // group, kh, kw), fan_in), "param")
        ins = [x, w]
        if bias:
            ins.append(self.init(scope + ".bias", self.small(cout), "param"))
        return self.op(
            "Conv",
            ins,
            scope,
            dilations=[1, 1],
            group=group,
            kernel_shape=[kh, kw],
            pads=list(pads),
            strides=[stride, stride],
        )

    def bn(self, x, scope, c, eps=1e-5):
        r = self.rng
        gamma = r.uniform(0.5, 1.5, c).astype(np.float32)
        beta = (r.standard_normal(c, dtype=np.float32) * np.float32(0.1)).astype(np.float32)
        mean = (r.standard_normal(c, dtype=np.float32) * np.float32(0.1)).astype(np.float32)
        var = r.uniform(0.5, 1.5, c).astype(np.float32)
        ins = [
            x,
            self.init(scope + ".weight", gamma, "param"),
            self.init(scope + ".bias", beta, "param"),
            self.init(scope + ".running_mean", mean, "buffer"),
            self.init(scope + ".running_var", var, "buffer"),
        ]
        return self.op("BatchNormalization", ins, scope, epsilon=eps, momentum=0.9)

    def gemm(self, x, scope, fin, fout, outputs=None):
        """nn.Linear on a 2-D input: Gemm with transB=1, weight [out, in]."""
        w = self.init(scope + ".weight", self.he((fout, fin), fin), "param")
        b = self.init(scope + ".bias", self.small(fout), "param")
        return self.op("Gemm", [x, w, b], scope, outputs=outputs, alpha=1.0, beta=1.0, transB=1)

    def linear3d(self, x, scope, fin, fout):
        """nn.Linear on a 3-D input as exported by PyTorch: MatMul with a
        pre-transposed [in, out] weight, then Add of the bias."""
        w = self.init(scope + ".weight", self.he((fin, fout), fin), "param")
        b = self.init(scope + ".bias", self.small(fout), "param")
        y = self.op("MatMul", [x, w], scope)
        return self.op("Add", [y, b], scope)

    def relu(self, x, scope=""):
        return self.op("Relu", [x], scope)

    def relu6(self, x, scope, lo, hi):
        return self.op("Clip", [x, lo, hi], scope)

    def softmax(self, x, name, axis=1):
        return self.op("Softmax", [x], "", outputs=[name], axis=axis)

    def flatten_chain(self, x, scope=""):
        """x.view(x.size(0), -1) as exported by PyTorch:
        Shape -> Gather(0) -> Unsqueeze -> Concat([-1]) -> Reshape."""
        shape = self.op("Shape", [x], scope)
        idx = self.constant(np.array(0, dtype=np.int64), scope)
        n = self.op("Gather", [shape, idx], scope, axis=0)
        axes = self.constant(np.array([0], dtype=np.int64), scope)
        n1 = self.op("Unsqueeze", [n, axes], scope)
        minus1 = self.constant(np.array([-1], dtype=np.int64), scope)
        new_shape = self.op("Concat", [n1, minus1], scope, axis=0)
        return self.op("Reshape", [x, new_shape], scope, allowzero=0)

    # ---- finish -----------------------------------------------------------

    def model(self, doc):
        graph = helper.make_graph(
            self.nodes,
            "main_graph",
            self.inputs,
            self.outputs,
            initializer=self.initializers,
        )
        m = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name=PRODUCER,
            producer_version="1",
            doc_string=doc,
        )
        m.ir_version = IR_VERSION
        m.model_version = 1
        return m, dict(self.kinds)


# --------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------


def make_mlp(seed):
    b = Builder("mlp", seed)
    x = b.input("input", [1, 784])
    h = b.relu(b.gemm(x, "fc1", 784, 256), "relu1")
    h = b.relu(b.gemm(h, "fc2", 256, 128), "relu2")
    logits = b.gemm(h, "fc3", 128, 10, outputs=["logits"])
    probs = b.softmax(logits, "probs")
    b.output(logits, [1, 10])
    b.output(probs, [1, 10])
    return b.model("MLP 784-256-128-10")


def make_lenet(seed):
    b = Builder("lenet", seed)
    x = b.input("input", [1, 1, 28, 28])
    pool = dict(ceil_mode=0, dilations=[1, 1], kernel_shape=[2, 2], pads=[0, 0, 0, 0], strides=[2, 2])
    h = b.conv(x, "conv1", 1, 6, 5, pads=[2, 2, 2, 2], bias=True)
    h = b.relu(h, "relu1")
    h = b.op("MaxPool", [h], "pool1", **pool)
    h = b.conv(h, "conv2", 6, 16, 5, pads=[0, 0, 0, 0], bias=True)
    h = b.relu(h, "relu2")
    h = b.op("MaxPool", [h], "pool2", **pool)
    h = b.flatten_chain(h)
    h = b.relu(b.gemm(h, "fc1", 400, 120), "relu3")
    h = b.relu(b.gemm(h, "fc2", 120, 84), "relu4")
    logits = b.gemm(h, "fc3", 84, 10, outputs=["logits"])
    probs = b.softmax(logits, "probs")
    b.output(logits, [1, 10])
    b.output(probs, [1, 10])
    return b.model("LeNet-5 (ReLU, max pooling)")


def make_kws_dscnn(seed):
    """MLPerf Tiny keyword spotting DS-CNN (Keras origin: convs have biases,
    'same' padding, BatchNorm eps 1e-3)."""
    b = Builder("kws_dscnn", seed)
    x = b.input("input", [1, 1, 49, 10])
    # 10x4 stride 2 'same' on 49x10 -> 25x5: pad H 4/5, W 1/1
    h = b.conv(x, "conv1", 1, 64, (10, 4), stride=2, pads=[4, 1, 5, 1], bias=True)
    h = b.bn(h, "bn1", 64, eps=1e-3)
    h = b.relu(h, "relu1")
    ratio = b.init("dropout1.ratio", np.array(0.2, dtype=np.float32), "const")
    h = b.op("Dropout", [h, ratio], "dropout1")  # inference form: identity
    for i in range(4):
        s = "blocks.%d" % i
        h = b.conv(h, s + ".dw", 64, 64, 3, group=64, bias=True)
        h = b.bn(h, s + ".dw_bn", 64, eps=1e-3)
        h = b.relu(h, s + ".dw_relu")
        h = b.conv(h, s + ".pw", 64, 64, 1, bias=True)
        h = b.bn(h, s + ".pw_bn", 64, eps=1e-3)
        h = b.relu(h, s + ".pw_relu")
    h = b.op("Dropout", [h], "dropout2")
    h = b.op("AveragePool", [h], "avgpool", ceil_mode=0, kernel_shape=[25, 5], pads=[0, 0, 0, 0], strides=[25, 5])
    h = b.op("Flatten", [h], "flatten", axis=1)
    logits = b.gemm(h, "fc", 64, 12, outputs=["logits"])
    probs = b.softmax(logits, "probs")
    b.output(logits, [1, 12])
    b.output(probs, [1, 12])
    return b.model("MLPerf Tiny KWS DS-CNN (small), 49x10 MFCC input")


def make_vww_mobilenet(seed):
    """MobileNetV1 alpha=0.25 on 96x96 (MLPerf Tiny VWW).  TF origin: the
    stride-2 3x3 convs use TF 'same' padding, i.e. asymmetric pads
    [0,0,1,1]; stride-1 convs pad 1 all round."""
    b = Builder("vww_mobilenet", seed)
    x = b.input("input", [1, 3, 96, 96])
    lo = b.init("relu6.min", np.array(0.0, dtype=np.float32), "const")
    hi = b.init("relu6.max", np.array(6.0, dtype=np.float32), "const")

    def pads_for(stride):
        return [0, 0, 1, 1] if stride == 2 else [1, 1, 1, 1]

    h = b.conv(x, "features.0.0", 3, 8, 3, stride=2, pads=pads_for(2))
    h = b.bn(h, "features.0.1", 8, eps=1e-3)
    h = b.relu6(h, "features.0.2", lo, hi)
    widths = [16, 32, 32, 64, 64, 128, 128, 128, 128, 128, 128, 256, 256]
    strides = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]
    cin = 8
    for i, (cout, s) in enumerate(zip(widths, strides)):
        p = "features.%d" % (i + 1)
        h = b.conv(h, p + ".0", cin, cin, 3, stride=s, pads=pads_for(s), group=cin)
        h = b.bn(h, p + ".1", cin, eps=1e-3)
        h = b.relu6(h, p + ".2", lo, hi)
        h = b.conv(h, p + ".3", cin, cout, 1)
        h = b.bn(h, p + ".4", cout, eps=1e-3)
        h = b.relu6(h, p + ".5", lo, hi)
        cin = cout
    h = b.op("GlobalAveragePool", [h], "pool")
    h = b.op("Flatten", [h], "flatten", axis=1)
    logits = b.gemm(h, "classifier", 256, 2, outputs=["logits"])
    probs = b.softmax(logits, "probs")
    b.output(logits, [1, 2])
    b.output(probs, [1, 2])
    return b.model("MobileNetV1 alpha=0.25, 96x96, 2 classes (MLPerf Tiny VWW)")


def make_ic_resnet8(seed):
    """MLPerf Tiny image classification ResNet-8 (CIFAR-10 input)."""
    b = Builder("ic_resnet8", seed)
    x = b.input("input", [1, 3, 32, 32])
    h = b.conv(x, "conv1", 3, 16, 3, bias=True)
    h = b.bn(h, "bn1", 16)
    h = b.relu(h, "relu1")
    cin = 16
    for i, (c, s) in enumerate([(16, 1), (32, 2), (64, 2)]):
        p = "stack%d" % (i + 1)
        y = b.conv(h, p + ".conv1", cin, c, 3, stride=s, bias=True)
        y = b.bn(y, p + ".bn1", c)
        y = b.relu(y, p + ".relu1")
        y = b.conv(y, p + ".conv2", c, c, 3, bias=True)
        y = b.bn(y, p + ".bn2", c)
        if s != 1 or cin != c:
            sc = b.conv(h, p + ".shortcut", cin, c, 1, stride=s, pads=[0, 0, 0, 0], bias=True)
        else:
            sc = h
        h = b.op("Add", [y, sc], p)
        h = b.relu(h, p + ".relu2")
        cin = c
    h = b.op("AveragePool", [h], "avgpool", ceil_mode=0, kernel_shape=[8, 8], pads=[0, 0, 0, 0], strides=[8, 8])
    h = b.op("Flatten", [h], "flatten", axis=1)
    logits = b.gemm(h, "fc", 64, 10, outputs=["logits"])
    probs = b.softmax(logits, "probs")
    b.output(logits, [1, 10])
    b.output(probs, [1, 10])
    return b.model("MLPerf Tiny ResNet-8 (CIFAR-10)")


def make_ad_autoencoder(seed):
    """MLPerf Tiny anomaly detection FC autoencoder (640-128x4-8-128x4-640).
    Keras origin: BatchNorm eps 1e-3 on [1, C] inputs."""
    b = Builder("ad_autoencoder", seed)
    h = b.input("input", [1, 640])
    dims = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128]
    for i in range(9):
        p = "layers.%d" % i
        h = b.gemm(h, p + ".fc", dims[i], dims[i + 1])
        h = b.bn(h, p + ".bn", dims[i + 1], eps=1e-3)
        h = b.relu(h, p + ".relu")
    out = b.gemm(h, "decoder_out", 128, 640, outputs=["output"])
    b.output(out, [1, 640])
    return b.model("MLPerf Tiny anomaly detection FC autoencoder")


def make_mobilenetv2(seed):
    """torchvision-style MobileNetV2 1.0, 224x224, BN kept as separate nodes."""
    b = Builder("mobilenetv2", seed)
    x = b.input("input", [1, 3, 224, 224])
    lo = b.init("onnx::Clip_min", np.array(0.0, dtype=np.float32), "const")
    hi = b.init("onnx::Clip_max", np.array(6.0, dtype=np.float32), "const")

    def conv_bn(h, p, cin, cout, k, stride=1, group=1, act=True):
        h = b.conv(h, p + ".0", cin, cout, k, stride=stride, group=group)
        h = b.bn(h, p + ".1", cout)
        if act:
            h = b.relu6(h, p + ".2", lo, hi)
        return h

    h = conv_bn(x, "features.0", 3, 32, 3, stride=2)
    cin = 32
    idx = 1
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    for t, c, n, s in settings:
        for j in range(n):
            stride = s if j == 0 else 1
            p = "features.%d.conv" % idx
            hidden = cin * t
            y = h
            k = 0
            if t != 1:
                y = conv_bn(y, "%s.%d" % (p, k), cin, hidden, 1)
                k += 1
            y = conv_bn(y, "%s.%d" % (p, k), hidden, hidden, 3, stride=stride, group=hidden)
            k += 1
            y = b.conv(y, "%s.%d" % (p, k), hidden, c, 1)
            y = b.bn(y, "%s.%d" % (p, k + 1), c)
            if stride == 1 and cin == c:
                y = b.op("Add", [h, y], "features.%d" % idx)
            h = y
            cin = c
            idx += 1
    h = conv_bn(h, "features.%d" % idx, cin, 1280, 1)
    h = b.op("GlobalAveragePool", [h], "")
    h = b.flatten_chain(h)
    logits = b.gemm(h, "classifier.1", 1280, 1000, outputs=["logits"])
    probs = b.softmax(logits, "probs")
    b.output(logits, [1, 1000])
    b.output(probs, [1, 1000])
    return b.model("MobileNetV2 1.0, 224x224, 1000 classes")


def make_tiny_transformer(seed):
    """2-layer post-LN transformer encoder (d_model 128, 4 heads, FFN 512,
    erf-GELU) plus a mean-pool classification head.

    Layer 0 builds its reshape targets with PyTorch-style
    Shape/Gather/Unsqueeze/Concat chains and scales the scores with Div;
    layer 1 uses constant int64 shape initializers and Mul by 1/sqrt(32)."""
    S, D, H, DH, FF = 64, 128, 4, 32, 512
    b = Builder("tiny_transformer", seed)
    x = b.input("input", [1, S, D])

    for li in range(2):
        p = "layers.%d" % li
        a = p + ".self_attn"
        dynamic = li == 0
        if dynamic:
            shp = b.op("Shape", [x], a)
            g0 = b.op("Gather", [shp, b.constant(np.array(0, dtype=np.int64), a)], a, axis=0)
            g1 = b.op("Gather", [shp, b.constant(np.array(1, dtype=np.int64), a)], a, axis=0)
            u0 = b.op("Unsqueeze", [g0, b.constant(np.array([0], dtype=np.int64), a)], a)
            u1 = b.op("Unsqueeze", [g1, b.constant(np.array([0], dtype=np.int64), a)], a)
            heads_shape = b.op("Concat", [u0, u1, b.constant(np.array([H, DH], dtype=np.int64), a)], a, axis=0)
            merge_shape = b.op("Concat", [u0, u1, b.constant(np.array([D], dtype=np.int64), a)], a, axis=0)
        else:
            heads_shape = b.init(a + ".heads_shape", np.array([1, S, H, DH], dtype=np.int64), "const")
            merge_shape = b.init(a + ".merge_shape", np.array([1, S, D], dtype=np.int64), "const")

        def heads(t, name):
            t = b.op("Reshape", [t, heads_shape], a + "." + name, allowzero=0)
            return b.op("Transpose", [t], a + "." + name, perm=[0, 2, 1, 3])  # [1,H,S,DH]

        q = heads(b.linear3d(x, a + ".q_proj", D, D), "q_proj")
        k = heads(b.linear3d(x, a + ".k_proj", D, D), "k_proj")
        v = heads(b.linear3d(x, a + ".v_proj", D, D), "v_proj")
        kt = b.op("Transpose", [k], a, perm=[0, 1, 3, 2])  # [1,H,DH,S]
        scores = b.op("MatMul", [q, kt], a)  # [1,H,S,S]
        if dynamic:
            scores = b.op("Div", [scores, b.constant(np.array(math.sqrt(DH), dtype=np.float32), a)], a)
        else:
            scores = b.op("Mul", [scores, b.constant(np.array(1.0 / math.sqrt(DH), dtype=np.float32), a)], a)
        attn = b.op("Softmax", [scores], a, axis=-1)
        ctx = b.op("MatMul", [attn, v], a)  # [1,H,S,DH]
        ctx = b.op("Transpose", [ctx], a, perm=[0, 2, 1, 3])  # [1,S,H,DH]
        ctx = b.op("Reshape", [ctx, merge_shape], a, allowzero=0)  # [1,S,D]
        attn_out = b.linear3d(ctx, a + ".out_proj", D, D)
        h = b.op("Add", [x, attn_out], p)
        h = b.op(
            "LayerNormalization",
            [h, b.init(p + ".norm1.weight", b.rng.uniform(0.5, 1.5, D).astype(np.float32), "param"),
             b.init(p + ".norm1.bias", b.small(D), "param")],
            p + ".norm1",
            axis=-1,
            epsilon=1e-5,
        )
        # FFN with erf-GELU exported as Div/Erf/Add/Mul/Mul
        f = b.linear3d(h, p + ".linear1", D, FF)
        act = p + ".activation"
        e = b.op("Div", [f, b.constant(np.array(math.sqrt(2.0), dtype=np.float32), act)], act)
        e = b.op("Erf", [e], act)
        e = b.op("Add", [e, b.constant(np.array(1.0, dtype=np.float32), act)], act)
        e = b.op("Mul", [f, e], act)
        e = b.op("Mul", [e, b.constant(np.array(0.5, dtype=np.float32), act)], act)
        f = b.linear3d(e, p + ".linear2", FF, D)
        h2 = b.op("Add", [h, f], p)
        outputs = ["output"] if li == 1 else None
        x = b.op(
            "LayerNormalization",
            [h2, b.init(p + ".norm2.weight", b.rng.uniform(0.5, 1.5, D).astype(np.float32), "param"),
             b.init(p + ".norm2.bias", b.small(D), "param")],
            p + ".norm2",
            outputs=outputs,
            axis=-1,
            epsilon=1e-5,
        )
    pooled = b.op("ReduceMean", [x], "head", axes=[1], keepdims=0)  # [1,D]
    logits = b.gemm(pooled, "head.fc", D, 10, outputs=["logits"])
    b.output(x, [1, S, D])
    b.output(logits, [1, 10])
    return b.model("2-layer post-LN transformer encoder, seq 64, d_model 128, 4 heads")


MODELS = [
    ("mlp", make_mlp),
    ("lenet", make_lenet),
    ("kws_dscnn", make_kws_dscnn),
    ("vww_mobilenet", make_vww_mobilenet),
    ("ic_resnet8", make_ic_resnet8),
    ("ad_autoencoder", make_ad_autoencoder),
    ("mobilenetv2", make_mobilenetv2),
    ("tiny_transformer", make_tiny_transformer),
]


# --------------------------------------------------------------------------
# analysis
# --------------------------------------------------------------------------


def model_seed(name, salt):
    return zlib.crc32(("%s/%s" % (name, salt)).encode()) & 0xFFFFFFFF


def dims_of(vi):
    dims = []
    for d in vi.type.tensor_type.shape.dim:
        if not d.HasField("dim_value"):
            return None
        dims.append(d.dim_value)
    return dims


def static_shapes(model):
    """Tensor name -> static shape, from ONNX shape inference with data
    propagation (needed to see through the Shape->...->Reshape chains)."""
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
    g = inferred.graph
    shapes = {}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        shapes[vi.name] = dims_of(vi)
    for t in g.initializer:
        shapes[t.name] = list(t.dims)
    return shapes


def count_macs(model, shapes):
    macs = 0
    for n in model.graph.node:
        if n.op_type == "Conv":
            w = shapes[n.input[1]]
            y = shapes[n.output[0]]
            assert w and y, n.name
            macs += int(np.prod(y)) * w[1] * w[2] * w[3]
        elif n.op_type == "Gemm":
            a = shapes[n.input[0]]
            bsh = shapes[n.input[1]]
            attrs = {at.name: helper.get_attribute_value(at) for at in n.attribute}
            m, k = (a[1], a[0]) if attrs.get("transA", 0) else (a[0], a[1])
            nn = bsh[0] if attrs.get("transB", 0) else bsh[1]
            macs += m * nn * k
        elif n.op_type == "MatMul":
            a = shapes[n.input[0]]
            y = shapes[n.output[0]]
            assert a and y, n.name
            macs += int(np.prod(y)) * a[-1]
    return macs


def count_params(model, kinds):
    counts = {"param": 0, "buffer": 0, "const": 0}
    for t in model.graph.initializer:
        counts[kinds[t.name]] += int(np.prod(t.dims))
    return counts


def run_reference(model_bytes, feeds, output_names):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    sess = ort.InferenceSession(model_bytes, sess_options=so, providers=["CPUExecutionProvider"])
    outs = sess.run(output_names, feeds)
    return dict(zip(output_names, outs))


def save_npy(path, arr):
    with open(path, "wb") as f:
        np.save(f, arr, allow_pickle=False)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def fmt_shape(s):
    return "[" + ",".join(str(d) for d in s) + "]"


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------


def generate(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    manifest = [
        "# onnxc golden models -- generated by golden/scripts/make_models.py; do not edit.",
        "# opset %d (default domain), ir_version %d, batch 1, float32." % (OPSET, IR_VERSION),
        "# Reference outputs: onnxruntime CPUExecutionProvider, graph optimizations",
        "# disabled, 1 thread. params = trainable weights/biases/BN affine;",
        "# buffers = BN running mean/var; consts = other initializers (shapes, clip",
        "# bounds, dropout ratio). MACs count Conv, Gemm and MatMul only.",
        "# numpy %s, onnx %s, onnxruntime %s" % (np.__version__, onnx.__version__, ort_version()),
        "",
    ]
    for name, fn in MODELS:
        builder_seed = model_seed(name, "weights")
        model, kinds = fn(builder_seed)
        onnx.checker.check_model(model, full_check=True)
        shapes = static_shapes(model)
        for vi in list(model.graph.input) + list(model.graph.output):
            declared = dims_of(vi)
            assert shapes[vi.name] == declared, (name, vi.name, shapes[vi.name], declared)
        data = model.SerializeToString(deterministic=True)
        onnx_path = os.path.join(out_dir, name + ".onnx")
        with open(onnx_path, "wb") as f:
            f.write(data)

        params = count_params(model, kinds)
        macs = count_macs(model, shapes)

        rng = np.random.default_rng(model_seed(name, "inputs"))
        feeds = {}
        for vi in model.graph.input:
            arr = rng.standard_normal(dims_of(vi), dtype=np.float32)
            feeds[vi.name] = arr
            save_npy(os.path.join(out_dir, "%s.%s.npy" % (name, vi.name)), arr)
        out_names = [vi.name for vi in model.graph.output]
        results = run_reference(data, feeds, out_names)
        for vi in model.graph.output:
            y = results[vi.name]
            assert y.dtype == np.float32 and list(y.shape) == dims_of(vi), (name, vi.name, y.shape)
            assert np.all(np.isfinite(y)), (name, vi.name)
            save_npy(os.path.join(out_dir, "%s.%s.expected.npy" % (name, vi.name)), y)

        ops = sorted({n.op_type for n in model.graph.node})
        size = len(data)
        print(
            "%-17s %9d bytes  %5d nodes  params %9d  MACs %11d" % (name, size, len(model.graph.node), params["param"], macs)
        )
        for vi in model.graph.output:
            y = results[vi.name]
            print("    %-8s %-14s min %+.4f max %+.4f std %.4f" % (vi.name, fmt_shape(y.shape), y.min(), y.max(), y.std()))

        manifest.append("model %s" % name)
        manifest.append("  file %s.onnx %d sha256 %s" % (name, size, hashlib.sha256(data).hexdigest()))
        for vi in model.graph.input:
            manifest.append("  input %s float32 %s" % (vi.name, fmt_shape(dims_of(vi))))
        for vi in model.graph.output:
            manifest.append("  output %s float32 %s" % (vi.name, fmt_shape(dims_of(vi))))
        manifest.append("  params %d" % params["param"])
        manifest.append("  buffers %d" % params["buffer"])
        manifest.append("  consts %d" % params["const"])
        manifest.append("  macs %d" % macs)
        manifest.append("  nodes %d" % len(model.graph.node))
        manifest.append("  ops %s" % " ".join(ops))
        manifest.append("")
    with open(os.path.join(out_dir, "MANIFEST.txt"), "w", newline="\n") as f:
        f.write("\n".join(manifest))


def ort_version():
    import onnxruntime as ort

    return ort.__version__


def check(ref_dir):
    """Regenerate into a temp dir and compare with ref_dir."""
    tmp = tempfile.mkdtemp(prefix="onnxc-golden-")
    try:
        generate(tmp)
        ok = True
        new_files = sorted(os.listdir(tmp))
        for fname in new_files:
            a = os.path.join(tmp, fname)
            bpath = os.path.join(ref_dir, fname)
            if not os.path.exists(bpath):
                print("MISSING  %s" % fname)
                ok = False
                continue
            if sha256_file(a) == sha256_file(bpath):
                continue
            if fname.endswith(".expected.npy"):
                x, y = np.load(a), np.load(bpath)
                if x.shape == y.shape and np.allclose(x, y, rtol=1e-4, atol=1e-5):
                    print("close    %s (max abs diff %.3g)" % (fname, float(np.max(np.abs(x - y)))))
                    continue
            if fname == "MANIFEST.txt":
                # version line may differ; compare the rest
                strip = lambda p: [l for l in open(p).read().splitlines() if not l.startswith("# numpy")]
                if strip(a) == strip(bpath):
                    print("close    MANIFEST.txt (tool versions differ)")
                    continue
            print("DIFFERS  %s" % fname)
            ok = False
        extra = sorted(set(os.listdir(ref_dir)) - set(new_files))
        for fname in extra:
            print("EXTRA    %s (not produced by the script)" % fname)
        print("golden models: %s" % ("OK" if ok else "MISMATCH"))
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    default_out = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=default_out, help="output directory (default %(default)s)")
    ap.add_argument("--check", action="store_true", help="regenerate into a temp dir and compare with --out")
    args = ap.parse_args()
    if args.check:
        return check(args.out)
    generate(args.out)
    print("wrote %s" % args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
