//! Conversion of single nodes: defaults per opset, rejected values, input slot layouts.

use super::*;
use crate::error::ErrorKind;
use crate::ir::op::{
    Activation, AutoPad, BinaryOp, CoordinateMode, NearestMode, PadMode, PoolKind, ReduceOp, ResizeMode,
};
use crate::onnx::proto::AttributeProto;
use crate::onnx::test_util::*;
use std::collections::HashMap;

/// Converts `node` at `opset`, with `constants` known by name.
fn lower_with(opset: i64, node: &NodeProto, constants: &HashMap<String, Tensor>) -> Result<Option<Lowered>> {
    let lookup = |name: &str| constants.get(name);
    let limits = crate::limits::Limits { max_tensor_bytes: 1 << 20, ..Default::default() };
    let total = std::cell::Cell::new(0);
    let ctx = NodeCtx {
        node,
        opset,
        attrs: Attrs::new(&node.attribute)?,
        tensors: TensorReader { model_dir: None, limits: &limits, total: &total },
        constant: &lookup,
    };
    lower(&ctx)
}

fn lower_at(opset: i64, op: &str, inputs: &[&str], outputs: &[&str], attrs: Vec<AttributeProto>) -> Result<Lowered> {
    let n = node(op, inputs, outputs, attrs);
    lower_with(opset, &n, &HashMap::new())?.ok_or_else(|| Error::internal(format!("{op} not supported")))
}

fn op_at(opset: i64, op: &str, inputs: &[&str], attrs: Vec<AttributeProto>) -> Op {
    lower_at(opset, op, inputs, &["y"], attrs).unwrap_or_else(|e| panic!("{op} at opset {opset}: {e}")).op
}

fn err_at(opset: i64, op: &str, inputs: &[&str], outputs: &[&str], attrs: Vec<AttributeProto>) -> Error {
    match lower_at(opset, op, inputs, outputs, attrs) {
        Ok(l) => panic!("{op} at opset {opset} converted to {:?}", l.op),
        Err(e) => e,
    }
}

#[test]
fn softmax_axis_default_depends_on_opset() {
    assert_eq!(op_at(11, "Softmax", &["x"], vec![]), Op::Softmax { axis: 1, log: false, legacy: true });
    assert_eq!(op_at(13, "Softmax", &["x"], vec![]), Op::Softmax { axis: -1, log: false, legacy: false });
    assert_eq!(
        op_at(7, "LogSoftmax", &["x"], vec![attr_i("axis", 2)]),
        Op::Softmax { axis: 2, log: true, legacy: true }
    );
}

#[test]
fn clip_bounds_are_attributes_before_opset_11() {
    assert_eq!(op_at(6 + 1, "Clip", &["x"], vec![]), Op::Clip { min: Some(f32::MIN), max: Some(f32::MAX) });
    assert_eq!(
        op_at(7, "Clip", &["x"], vec![attr_f("min", 0.0), attr_f("max", 6.0)]),
        Op::Clip { min: Some(0.0), max: Some(6.0) }
    );
    let l = lower_at(13, "Clip", &["x", "", "hi"], &["y"], vec![]).unwrap();
    assert_eq!((l.op, l.inputs), (Op::Clip { min: None, max: None }, vec![Some(0), None, Some(2)]));
    let e = err_at(11, "Clip", &["x"], &["y"], vec![attr_f("min", 0.0)]);
    assert_eq!(e.message, "attribute 'min' is not defined for Clip at opset 11");
}

#[test]
fn activations_take_their_defaults() {
    assert_eq!(op_at(16, "LeakyRelu", &["x"], vec![]), Op::Unary(Activation::LeakyRelu { alpha: 0.01 }));
    assert_eq!(op_at(7, "Elu", &["x"], vec![]), Op::Unary(Activation::Elu { alpha: 1.0 }));
    assert_eq!(
        op_at(7, "HardSigmoid", &["x"], vec![attr_f("beta", 0.25)]),
        Op::Unary(Activation::HardSigmoid { alpha: 0.2, beta: 0.25 })
    );
    assert_eq!(op_at(20, "Gelu", &["x"], vec![]), Op::Unary(Activation::Gelu));
    assert_eq!(op_at(20, "Gelu", &["x"], vec![attr_s("approximate", "tanh")]), Op::Unary(Activation::GeluTanh));
    let e = err_at(18, "Gelu", &["x"], &["y"], vec![]);
    assert_eq!(e.message, "Gelu is not defined before opset 20");
    let e = err_at(13, "HardSwish", &["x"], &["y"], vec![]);
    assert_eq!(e.kind, ErrorKind::Invalid);
}

#[test]
fn binary_ops_and_their_variants() {
    assert_eq!(op_at(14, "Add", &["a", "b"], vec![]), Op::Binary(BinaryOp::Add));
    assert_eq!(op_at(13, "Mod", &["a", "b"], vec![]), Op::Binary(BinaryOp::Mod));
    assert_eq!(op_at(13, "Mod", &["a", "b"], vec![attr_i("fmod", 1)]), Op::Binary(BinaryOp::FMod));
    assert_eq!(op_at(13, "Max", &["a", "b"], vec![]), Op::Binary(BinaryOp::Max));
    assert_eq!(op_at(13, "Min", &["a"], vec![]), Op::Identity);
    assert_eq!(op_at(8, "Sum", &["a", "b"], vec![]), Op::Binary(BinaryOp::Add));
    assert_eq!(op_at(8, "Sum", &["a", "b", "c"], vec![]), Op::Variadic { op: BinaryOp::Add, mean: false });
    assert_eq!(op_at(13, "Max", &["a", "b", "c"], vec![]), Op::Variadic { op: BinaryOp::Max, mean: false });
    assert_eq!(op_at(13, "Mean", &["a", "b"], vec![]), Op::Variadic { op: BinaryOp::Add, mean: true });
    // Opsets 1–6: `broadcast` and `axis` are read by the legacy step; `consumed_inputs` ignored.
    assert_eq!(op_at(6, "Add", &["a", "b"], vec![attr_i("broadcast", 1), attr_i("axis", 1)]), Op::Binary(BinaryOp::Add));
    assert_eq!(op_at(5, "Relu", &["a"], vec![attr_ints("consumed_inputs", &[0])]), Op::Unary(Activation::Relu));
    assert_eq!(err_at(6, "Add", &["a", "b"], &["y"], vec![attr_i("axis", 1)]).message, "attribute 'axis' needs broadcast = 1");
    assert_eq!(err_at(4, "Reshape", &["a"], &["y"], vec![]).kind, ErrorKind::Unsupported);
    let e = err_at(13, "Add", &["a"], &["y"], vec![]);
    assert_eq!(e.message, "expects 2 input(s), found 1");
    let e = err_at(13, "Mul", &["a", ""], &["y"], vec![]);
    assert_eq!(e.message, "input 1 is required but empty");
    let e = err_at(13, "Add", &["a", "b"], &["y"], vec![attr_i("broadcast", 1)]);
    assert_eq!(e.message, "attribute 'broadcast' is not defined for Add at opset 13");
}

#[test]
fn conv_window_defaults_follow_kernel_shape() {
    let Op::Conv(c) = op_at(11, "Conv", &["x", "w"], vec![attr_ints("kernel_shape", &[3, 3])]) else { panic!() };
    assert_eq!((c.window.strides, c.window.dilations, c.window.pads), (vec![1, 1], vec![1, 1], vec![0, 0, 0, 0]));
    assert_eq!((c.group, c.window.auto_pad), (1, AutoPad::NotSet));
    // Without any window attribute the rank is unknown: the lists stay empty (= defaults).
    let Op::Conv(c) = op_at(11, "Conv", &["x", "w", "b"], vec![attr_s("auto_pad", "SAME_UPPER")]) else { panic!() };
    assert!(c.window.kernel.is_empty() && c.window.strides.is_empty());
    assert_eq!(c.window.auto_pad, AutoPad::SameUpper);
    let e = err_at(11, "Conv", &["x", "w"], &["y"], vec![attr_s("auto_pad", "SAME_WHATEVER")]);
    assert_eq!(e.kind, ErrorKind::Unsupported);
    let e =
        err_at(11, "Conv", &["x", "w"], &["y"], vec![attr_ints("kernel_shape", &[3, 3]), attr_ints("strides", &[2])]);
    assert_eq!(e.message, "'kernel_shape' is for 2 spatial axes but 'strides' is for 1");
    let e = err_at(11, "Conv", &["x", "w"], &["y"], vec![attr_i("group", 0)]);
    assert_eq!(e.kind, ErrorKind::Invalid);
    let e = err_at(11, "Conv", &["x", "w"], &["y"], vec![attr_ints("pads", &[1, 1, 1])]);
    assert_eq!(e.kind, ErrorKind::Invalid);
    let Op::ConvTranspose(c) = op_at(
        11,
        "ConvTranspose",
        &["x", "w"],
        vec![attr_ints("strides", &[2, 2]), attr_ints("output_shape", &[8, 8])],
    ) else {
        panic!()
    };
    assert_eq!((c.output_padding, c.output_shape), (vec![0, 0], vec![8, 8]));
}

#[test]
fn pooling_attributes_per_opset() {
    let k = || attr_ints("kernel_shape", &[2, 2]);
    let Op::Pool(p) = op_at(12, "MaxPool", &["x"], vec![k(), attr_i("ceil_mode", 1)]) else { panic!() };
    assert_eq!((p.kind, p.ceil_mode, p.window.strides), (PoolKind::Max, true, vec![1, 1]));
    let e = err_at(9, "MaxPool", &["x"], &["y"], vec![k(), attr_i("ceil_mode", 1)]);
    assert_eq!(e.message, "attribute 'ceil_mode' is not defined for MaxPool at opset 9");
    // Indices (either storage order) and 3-D windows go to the N-D pooling op.
    let l = lower_at(12, "MaxPool", &["x"], &["y", "indices"], vec![k(), attr_i("storage_order", 1)]).unwrap();
    let Op::Nn(crate::ir::op_nn::NnOp::Pool(p)) = l.op else { panic!() };
    assert_eq!((l.outputs, p.column_major), (2, true));
    let three = attr_ints("kernel_shape", &[2, 2, 2]);
    assert!(matches!(op_at(12, "AveragePool", &["x"], vec![three]), Op::Nn(crate::ir::op_nn::NnOp::Pool(_))));
    let e = err_at(12, "MaxPool", &["x"], &["y"], vec![]);
    assert_eq!(e.message, "attribute 'kernel_shape' is required");
    let Op::Pool(p) = op_at(7, "AveragePool", &["x"], vec![k(), attr_i("count_include_pad", 1)]) else { panic!() };
    assert_eq!((p.kind, p.count_include_pad), (PoolKind::Average, true));
    assert!(err_at(18, "AveragePool", &["x"], &["y"], vec![k(), attr_ints("dilations", &[2, 2])])
        .message
        .contains("dilations"));
    let Op::Pool(p) = op_at(19, "AveragePool", &["x"], vec![k(), attr_ints("dilations", &[2, 2])]) else { panic!() };
    assert_eq!(p.window.dilations, vec![2, 2]);
    assert_eq!(op_at(7, "GlobalMaxPool", &["x"], vec![]), Op::GlobalPool(PoolKind::Max));
}

#[test]
fn normalizations_in_inference_mode() {
    let bn = ["x", "s", "b", "m", "v"];
    assert_eq!(op_at(9, "BatchNormalization", &bn, vec![attr_f("momentum", 0.9)]), Op::BatchNorm { epsilon: 1e-5 });
    let l = lower_at(7, "BatchNormalization", &bn, &["y", "m2", "v2", "sm", "sv"], vec![]).unwrap();
    assert_eq!(l.outputs, 1);
    let e = err_at(7, "BatchNormalization", &bn, &["y"], vec![attr_i("spatial", 0)]);
    assert_eq!(e.kind, ErrorKind::Unsupported);
    let e = err_at(9, "BatchNormalization", &bn, &["y"], vec![attr_i("spatial", 1)]);
    assert_eq!(e.kind, ErrorKind::Invalid, "spatial was removed in opset 9");
    let e = err_at(15, "BatchNormalization", &bn, &["y"], vec![attr_i("training_mode", 1)]);
    assert_eq!(e.kind, ErrorKind::Unsupported);
    let l =
        lower_at(17, "LayerNormalization", &["x", "g"], &["y", "mean", "inv"], vec![attr_i("stash_type", 1)]).unwrap();
    assert_eq!(
        (l.op, l.inputs, l.outputs),
        (Op::LayerNorm { axis: -1, epsilon: 1e-5 }, vec![Some(0), Some(1), None], 3)
    );
    assert_eq!(
        op_at(7, "InstanceNormalization", &["x", "s", "b"], vec![attr_f("epsilon", 1e-3)]),
        Op::InstanceNorm { epsilon: 1e-3 }
    );
}

#[test]
fn dropout_is_identity_in_inference() {
    let l = lower_at(7, "Dropout", &["x"], &["y"], vec![attr_f("ratio", 0.3)]).unwrap();
    assert_eq!((l.op, l.inputs, l.outputs), (Op::Identity, vec![Some(0)], 1));
    // With a mask output: the mask is computed (all true); the importer turns the node back
    // into Identity when nobody reads it.
    let l = lower_at(10, "Dropout", &["x"], &["y", "mask"], vec![attr_f("ratio", 0.3)]).unwrap();
    assert_eq!((l.op, l.outputs), (Op::Quant(crate::ir::op_quant::QuantOp::DropoutMask), 2));
    let mut constants = HashMap::new();
    constants.insert("off".to_string(), Tensor { shape: vec![], data: crate::ir::Data::Bool(vec![0]) });
    constants.insert("on".to_string(), Tensor { shape: vec![], data: crate::ir::Data::Bool(vec![1]) });
    let l = lower_with(13, &node("Dropout", &["x", "r", "off"], &["y"], vec![]), &constants).unwrap().unwrap();
    assert_eq!((l.op, l.inputs), (Op::Identity, vec![Some(0)]));
    let e = lower_with(13, &node("Dropout", &["x", "", "on"], &["y"], vec![]), &constants).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unsupported);
    let e = lower_with(13, &node("Dropout", &["x", "", "t"], &["y"], vec![]), &constants).unwrap_err();
    assert_eq!(e.message, "training_mode 't' must be a constant false scalar");
}

#[test]
fn reduce_axes_move_to_an_input() {
    let r = |opset, op: &str, attrs| match op_at(opset, op, &["x"], attrs) {
        Op::Reduce(r) => r,
        other => panic!("{other:?}"),
    };
    let sum11 = r(11, "ReduceSum", vec![attr_ints("axes", &[1]), attr_i("keepdims", 0)]);
    assert_eq!((sum11.op, sum11.axes, sum11.keepdims), (ReduceOp::Sum, Some(vec![1]), false));
    let e = err_at(13, "ReduceSum", &["x"], &["y"], vec![attr_ints("axes", &[1])]);
    assert_eq!(e.message, "attribute 'axes' is not defined for ReduceSum at opset 13");
    let sum13 = r(13, "ReduceSum", vec![attr_i("noop_with_empty_axes", 1)]);
    assert_eq!((sum13.axes, sum13.noop_with_empty_axes, sum13.keepdims), (None, true, true));
    let mean13 = r(13, "ReduceMean", vec![attr_ints("axes", &[-1])]);
    assert_eq!((mean13.op, mean13.axes), (ReduceOp::Mean, Some(vec![-1])));
    let l = lower_at(18, "ReduceMax", &["x", "axes"], &["y"], vec![]).unwrap();
    assert_eq!(l.inputs, vec![Some(0), Some(1)]);
    assert!(err_at(13, "ReduceMax", &["x", "axes"], &["y"], vec![]).message.contains("expects 1"));
}

#[test]
fn resize_per_opset() {
    let l = lower_at(10, "Resize", &["x", "scales"], &["y"], vec![attr_s("mode", "linear")]).unwrap();
    assert_eq!(l.inputs, vec![Some(0), None, Some(1)], "slots normalized to [X, roi, scales]");
    let Op::Resize(r) = l.op else { panic!() };
    assert_eq!((r.mode, r.coordinate_mode), (ResizeMode::Linear, CoordinateMode::Asymmetric));
    let l = lower_at(11, "Resize", &["x", "roi", "", "sizes"], &["y"], vec![]).unwrap();
    assert_eq!(l.inputs, vec![Some(0), Some(1), None, Some(3)]);
    let Op::Resize(r) = l.op else { panic!() };
    assert_eq!(
        (r.mode, r.coordinate_mode, r.nearest_mode),
        (ResizeMode::Nearest, CoordinateMode::HalfPixel, NearestMode::RoundPreferFloor)
    );
    assert_eq!((r.cubic_coeff_a, r.exclude_outside, r.axes), (-0.75, false, None));
    let Op::Resize(r) = op_at(13, "Resize", &["x", "", "s"], vec![attr_s("mode", "cubic")]) else { panic!() };
    assert_eq!(r.mode, ResizeMode::Cubic);
    let crop = attr_s("coordinate_transformation_mode", "tf_crop_and_resize");
    let Op::Resize(r) = op_at(13, "Resize", &["x", "r", "s"], vec![crop]) else { panic!() };
    assert_eq!(r.coordinate_mode, CoordinateMode::TfCropAndResize);
    let e = err_at(
        18,
        "Resize",
        &["x", "", "s"],
        &["y"],
        vec![attr_s("coordinate_transformation_mode", "half_pixel_symmetric")],
    );
    assert_eq!(e.kind, ErrorKind::Invalid);
    let Op::Resize(r) = op_at(
        19,
        "Resize",
        &["x", "", "s"],
        vec![attr_s("coordinate_transformation_mode", "half_pixel_symmetric"), attr_ints("axes", &[2, 3])],
    ) else {
        panic!()
    };
    assert_eq!((r.coordinate_mode, r.axes), (CoordinateMode::HalfPixelSymmetric, Some(vec![2, 3])));
    let Op::Resize(r) = op_at(18, "Resize", &["x", "", "s"], vec![attr_i("antialias", 1)]) else { panic!() };
    assert!(r.antialias);
    let Op::Resize(r) = op_at(8, "Upsample", &["x"], vec![attr_floats("scales", &[1.0, 1.0, 2.0, 2.0])]) else {
        panic!()
    };
    assert_eq!(r.scales_attr, Some(vec![1.0, 1.0, 2.0, 2.0]));
    assert_eq!(lower_at(9, "Upsample", &["x", "s"], &["y"], vec![]).unwrap().inputs, vec![Some(0), None, Some(1)]);
    assert_eq!(err_at(10, "Upsample", &["x", "s"], &["y"], vec![]).kind, ErrorKind::Invalid);
}

#[test]
fn movement_ops_per_opset() {
    let split = |opset, inputs: &[&str], outputs: &[&str], attrs| lower_at(opset, "Split", inputs, outputs, attrs);
    let l = split(11, &["x"], &["a", "b"], vec![attr_ints("split", &[1, 3]), attr_i("axis", 1)]).unwrap();
    assert_eq!(l.op, Op::Split(crate::ir::op::Split { axis: 1, split: Some(vec![1, 3]) }));
    assert!(split(11, &["x"], &["a", "b"], vec![attr_ints("split", &[4])]).is_err());
    let l = split(18, &["x"], &["a", "b", "c"], vec![attr_i("num_outputs", 3)]).unwrap();
    assert_eq!((l.op, l.outputs), (Op::Split(crate::ir::op::Split { axis: 0, split: None }), 3));
    assert!(split(18, &["x"], &["a", "b"], vec![attr_i("num_outputs", 3)]).is_err());
    assert!(split(17, &["x"], &["a", "b"], vec![attr_i("num_outputs", 2)]).is_err());

    let Op::Slice(s) = op_at(9, "Slice", &["x"], vec![attr_ints("starts", &[0]), attr_ints("ends", &[2])]) else {
        panic!()
    };
    assert_eq!((s.starts, s.ends, s.axes), (Some(vec![0]), Some(vec![2]), None));
    assert_eq!(
        op_at(10, "Slice", &["x", "s", "e"], vec![]),
        Op::Slice(crate::ir::op::Slice { starts: None, ends: None, axes: None })
    );

    assert_eq!(op_at(11, "Unsqueeze", &["x"], vec![attr_ints("axes", &[0])]), Op::Unsqueeze { axes: Some(vec![0]) });
    assert!(err_at(11, "Unsqueeze", &["x"], &["y"], vec![]).message.contains("required"));
    assert_eq!(op_at(13, "Unsqueeze", &["x", "axes"], vec![]), Op::Unsqueeze { axes: None });
    assert_eq!(op_at(13, "Squeeze", &["x"], vec![]), Op::Squeeze { axes: None });

    let Op::Pad(p) = op_at(10, "Pad", &["x"], vec![attr_ints("pads", &[0, 1, 0, 1]), attr_s("mode", "reflect")]) else {
        panic!()
    };
    assert_eq!((p.mode, p.pads, p.value), (PadMode::Reflect, Some(vec![0, 1, 0, 1]), 0.0));
    assert_eq!(
        op_at(19, "Pad", &["x", "p", "", "axes"], vec![attr_s("mode", "wrap")]),
        Op::Pad(crate::ir::op::Pad { mode: PadMode::Wrap, pads: None, value: 0.0 })
    );
    assert!(err_at(18, "Pad", &["x", "p"], &["y"], vec![attr_s("mode", "wrap")]).message.contains("wrap"));

    assert_eq!(op_at(13, "Flatten", &["x"], vec![]), Op::Flatten { axis: 1 });
    assert_eq!(op_at(14, "Reshape", &["x", "s"], vec![attr_i("allowzero", 1)]), Op::Reshape { allowzero: true });
    assert!(err_at(13, "Reshape", &["x", "s"], &["y"], vec![attr_i("allowzero", 1)]).message.contains("allowzero"));
    assert!(err_at(13, "Concat", &["a", "b"], &["y"], vec![]).message.contains("'axis' is required"));
    assert_eq!(op_at(15, "Shape", &["x"], vec![attr_i("start", 1)]), Op::Shape { start: 1, end: None });
    assert!(err_at(14, "Shape", &["x"], &["y"], vec![attr_i("start", 1)]).message.contains("not defined"));
    assert_eq!(op_at(13, "Gather", &["x", "i"], vec![]), Op::Gather { axis: 0 });
    assert_eq!(op_at(13, "Transpose", &["x"], vec![]), Op::Transpose { perm: None });
    assert_eq!(op_at(13, "Where", &["c", "a", "b"], vec![]), Op::Where);
}

#[test]
fn constants_casts_and_gemm() {
    let t = Tensor::from_f32(vec![2], vec![1.0, 2.0]).unwrap();
    assert_eq!(op_at(7, "Constant", &[], vec![attr_t("value", tensor_proto("", &t))]), Op::Constant(t));
    assert_eq!(
        op_at(12, "Constant", &[], vec![attr_f("value_float", 0.5)]),
        Op::Constant(Tensor::from_f32(vec![], vec![0.5]).unwrap())
    );
    assert_eq!(
        op_at(13, "Constant", &[], vec![attr_ints("value_ints", &[1, 2])]),
        Op::Constant(Tensor::from_i64(vec![2], vec![1, 2]).unwrap())
    );
    assert!(err_at(11, "Constant", &[], &["y"], vec![attr_f("value_float", 0.5)]).message.contains("not defined"));
    assert!(err_at(13, "Constant", &[], &["y"], vec![]).message.contains("exactly one"));
    assert_eq!(err_at(13, "Constant", &[], &["y"], vec![attr_s("value_string", "a")]).kind, ErrorKind::Unsupported);

    let Op::ConstantOfShape { value } = op_at(9, "ConstantOfShape", &["s"], vec![]) else { panic!() };
    assert_eq!(value, Tensor::from_f32(vec![1], vec![0.0]).unwrap());
    let two = Tensor::from_i64(vec![2], vec![1, 2]).unwrap();
    assert!(err_at(9, "ConstantOfShape", &["s"], &["y"], vec![attr_t("value", tensor_proto("", &two))])
        .message
        .contains("one element"));

    assert_eq!(op_at(13, "Cast", &["x"], vec![attr_i("to", 7)]), Op::Cast { to: crate::ir::DType::I64 });
    assert_eq!(
        err_at(13, "Cast", &["x"], &["y"], vec![attr_i("to", 8)]).message,
        "cast to STRING (code 8) is not supported"
    );
    assert_eq!(err_at(13, "Cast", &["x"], &["y"], vec![]).message, "attribute 'to' is required");
    assert!(err_at(13, "Cast", &["x"], &["y"], vec![attr_f("to", 1.0)]).message.contains("must be INT"));

    let Op::Gemm(g) = op_at(13, "Gemm", &["a", "b"], vec![attr_i("transB", 1), attr_f("alpha", 2.0)]) else { panic!() };
    assert_eq!((g.alpha, g.beta, g.trans_a, g.trans_b), (2.0, 1.0, false, true));
    assert!(err_at(9, "Gemm", &["a", "b"], &["y"], vec![]).message.contains("expects 3"));
}

#[test]
fn unknown_ops_are_not_converted() {
    let n = node("ImageDecoder", &["a"], &["y"], vec![]);
    assert_eq!(lower_with(13, &n, &HashMap::new()).unwrap(), None);
}

#[test]
fn every_listed_op_has_a_converter() {
    for &(op, since) in SUPPORTED_OPS {
        let opset = if op == "Upsample" { 9 } else { 23.max(since) };
        let n = node(op, &[], &["y"], vec![]);
        if let Err(e) = lower_with(opset, &n, &HashMap::new()) {
            assert_ne!(e.kind, ErrorKind::Internal, "{op}: {e}");
        }
    }
}

#[test]
fn linear_attention_rule_decides_decay_and_beta() {
    use crate::ir::op_nn::{LinearAttention, NnOp};
    let heads = || vec![attr_i("q_num_heads", 4), attr_i("kv_num_heads", 2)];
    let op = op_at(27, "LinearAttention", &["q", "k", "v", "", "g", "b"], heads());
    let want = LinearAttention { q_heads: 4, kv_heads: 2, scale: None, gated: true, delta: true };
    assert_eq!(op, Op::Nn(NnOp::LinearAttention(want)));
    let mut linear = heads();
    linear.push(attr_s("update_rule", "linear"));
    assert_eq!(err_at(27, "LinearAttention", &["q", "k", "v", "", "g"], &["y"], linear).kind, ErrorKind::Invalid);
    assert_eq!(err_at(27, "LinearAttention", &["q", "k", "v"], &["y"], vec![attr_i("q_num_heads", 3), attr_i("kv_num_heads", 2)]).kind, ErrorKind::Invalid);
}

#[test]
fn causal_conv_and_swiglu_attributes() {
    use crate::ir::op_nn::NnOp;
    assert_eq!(op_at(27, "CausalConvWithState", &["x", "w"], vec![attr_s("activation", "swish")]), Op::Nn(NnOp::CausalConv { silu: true }));
    assert_eq!(err_at(27, "CausalConvWithState", &["x", "w"], &["y"], vec![attr_s("activation", "gelu")]).kind, ErrorKind::Invalid);
    assert_eq!(op_at(28, "SwiGLU", &["a", "b"], vec![]), Op::Nn(NnOp::SwiGlu { alpha: 1.0 }));
}
