//! The `onnxc` binary on good and bad input: exit codes, one-line errors, determinism.

use onnxc::onnx::proto::{
    tensor_shape_proto::{dimension, Dimension},
    type_proto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorShapeProto, TypeProto, ValueInfoProto,
};
use prost::Message;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn scratch(tag: &str) -> PathBuf {
    let dir = repo().join("target/cli-tests").join(tag);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn onnxc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onnxc")).args(args).output().expect("onnxc runs")
}

/// Asserts exit code 2 and a single `error: …` line on stderr containing every `needle`.
fn assert_user_error(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line expected, got: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("internal error"), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "'{n}' missing from: {stderr}");
    }
}

fn tensor_value(name: &str, dims: &[i64]) -> ValueInfoProto {
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: 1,
                shape: Some(TensorShapeProto {
                    dim: dims.iter().map(|&d| Dimension { value: Some(dimension::Value::DimValue(d)), ..Default::default() }).collect(),
                }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn model_with_nodes(nodes: Vec<NodeProto>, opset: i64) -> Vec<u8> {
    let model = ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: opset }],
        graph: Some(GraphProto {
            name: "bad".into(),
            node: nodes,
            input: vec![tensor_value("x", &[1, 4])],
            output: vec![tensor_value("z", &[1, 4])],
            ..Default::default()
        }),
        ..Default::default()
    };
    model.encode_to_vec()
}

fn node(name: &str, op: &str, inputs: &[&str], outputs: &[&str]) -> NodeProto {
    NodeProto {
        name: name.into(),
        op_type: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

#[test]
fn unsupported_ops_are_all_listed_with_node_op_and_opset() {
    let dir = scratch("unsupported");
    let path = dir.join("model.onnx");
    let nodes = vec![
        node("first", "Relu", &["x"], &["y"]),
        node("weird_one", "FancyOp", &["y"], &["w"]),
        node("weird_two", "StringNormalizer", &["w"], &["z"]),
    ];
    std::fs::write(&path, model_with_nodes(nodes, 17)).unwrap();
    let out = onnxc(&["compile", path.to_str().unwrap(), "-o", dir.join("crate").to_str().unwrap()]);
    assert_user_error(&out, &["'weird_one' (FancyOp, opset 17)", "'weird_two' (StringNormalizer, opset 17)", "SUPPORTED_OPS.md"]);
}

#[test]
fn a_truncated_model_is_a_clear_error() {
    let dir = scratch("truncated");
    let bytes = std::fs::read(repo().join("golden/models/lenet.onnx")).unwrap();
    for cut in [1, 17, 1000, bytes.len() / 2, bytes.len() - 3] {
        let path = dir.join(format!("cut{cut}.onnx"));
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let out = onnxc(&["compile", path.to_str().unwrap(), "-o", dir.join("crate").to_str().unwrap()]);
        assert_user_error(&out, &[]);
    }
}

#[test]
fn random_bytes_are_a_clear_error() {
    let dir = scratch("random");
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for round in 0..8 {
        let bytes: Vec<u8> = (0..4096)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let path = dir.join(format!("random{round}.onnx"));
        std::fs::write(&path, &bytes).unwrap();
        let out = onnxc(&["inspect", path.to_str().unwrap()]);
        assert_user_error(&out, &[]);
    }
}

#[test]
fn missing_files_and_unknown_targets_are_errors() {
    let out = onnxc(&["compile", "/nonexistent/model.onnx", "-o", "/tmp/x"]);
    assert_user_error(&out, &["/nonexistent/model.onnx"]);
    let lenet = repo().join("golden/models/lenet.onnx");
    let out = onnxc(&["compile", lenet.to_str().unwrap(), "--target", "pdp11", "-o", "/tmp/x"]);
    assert_user_error(&out, &["unknown target 'pdp11'", "generic"]);
}

#[test]
fn a_model_reading_an_undefined_value_is_an_error() {
    let dir = scratch("undefined");
    let path = dir.join("model.onnx");
    std::fs::write(&path, model_with_nodes(vec![node("n", "Relu", &["nobody"], &["z"])], 17)).unwrap();
    let out = onnxc(&["inspect", path.to_str().unwrap()]);
    assert_user_error(&out, &["nobody"]);
}

#[test]
fn inspect_prints_the_arena_plan_and_its_lower_bound() {
    let lenet = repo().join("golden/models/lenet.onnx");
    let out = onnxc(&["inspect", lenet.to_str().unwrap(), "--plan"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("lower bound"), "{text}");
    assert!(text.contains("| offset |") && text.contains("live"), "{text}");
}

#[test]
fn inspect_after_each_pass_works() {
    let lenet = repo().join("golden/models/lenet.onnx");
    let out = onnxc(&["inspect", lenet.to_str().unwrap(), "--list-passes"]);
    let passes = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(passes.lines().count() >= 5, "{passes}");
    for pass in passes.lines() {
        let out = onnxc(&["inspect", lenet.to_str().unwrap(), "--after", pass]);
        assert!(out.status.success(), "--after {pass}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let out = onnxc(&["inspect", lenet.to_str().unwrap(), "--after", "no-such-pass"]);
    assert_user_error(&out, &["no-such-pass"]);
    for format in ["dot", "json"] {
        let out = onnxc(&["inspect", lenet.to_str().unwrap(), "--format", format]);
        assert!(out.status.success() && !out.stdout.is_empty());
    }
}

#[test]
fn compiling_twice_gives_identical_crates() {
    let dir = scratch("determinism");
    let model = repo().join("golden/models/kws_dscnn.onnx");
    let read_all = |root: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    files.push((p.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&p).unwrap()));
                }
            }
        }
        files.sort();
        files
    };
    for out in ["a", "b"] {
        let o = onnxc(&["compile", model.to_str().unwrap(), "-o", dir.join(out).to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (a, b) = (read_all(&dir.join("a")), read_all(&dir.join("b")));
    assert!(a.len() > 5);
    assert_eq!(a, b, "two compilations differ");
}

#[test]
fn run_evaluates_the_model_like_onnxruntime() {
    let dir = scratch("run");
    let models = repo().join("golden/models");
    let out = onnxc(&[
        "run",
        models.join("lenet.onnx").to_str().unwrap(),
        "--input",
        &format!("input={}", models.join("lenet.input.npy").display()),
        "--output-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got = onnxc::npy_io::read_tensor(&dir.join("logits.npy")).unwrap().to_f32_vec().unwrap();
    let want = onnxc::npy_io::read_tensor(&models.join("lenet.logits.expected.npy")).unwrap().to_f32_vec().unwrap();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-4 * w.abs().max(1.0), "{g} vs {w}");
    }
}

#[test]
fn targets_lists_generic() {
    let out = onnxc(&["targets"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("generic"));
}
