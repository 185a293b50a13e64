//! Every golden model: compiled for `generic`, built, run, and compared with onnxruntime.

use onnxc_golden::*;

fn end_to_end(name: &str) {
    let model = golden_model(name);
    assert!(!model.expected.is_empty(), "{name}: no expected outputs in golden/models");
    let compiled = compile(&model);
    // The plan is checked for overlaps inside `plan()`; here its size is held to the bound.
    let plan = &compiled.plan;
    assert!(
        plan.arena_bytes as f64 <= plan.lower_bound as f64 * 1.10,
        "{name}: arena {} B is more than 10% above the lower bound {} B",
        plan.arena_bytes,
        plan.lower_bound
    );
    let evaluated = evaluate(&model, &compiled);
    assert_matches(&model, &evaluated, TOLERANCE, "evaluator");
    let generated = build_and_run(&model, &compiled);
    assert_matches(&model, &generated, TOLERANCE, "generated code");
}

#[test]
fn mlp() {
    end_to_end("mlp");
}

#[test]
fn lenet() {
    end_to_end("lenet");
}

#[test]
fn kws_dscnn() {
    end_to_end("kws_dscnn");
}

#[test]
fn vww_mobilenet() {
    end_to_end("vww_mobilenet");
}

#[test]
fn ic_resnet8() {
    end_to_end("ic_resnet8");
}

#[test]
fn ad_autoencoder() {
    end_to_end("ad_autoencoder");
}

#[test]
fn tiny_transformer() {
    end_to_end("tiny_transformer");
}

#[test]
fn mobilenetv2() {
    end_to_end("mobilenetv2");
}

#[test]
fn every_golden_model_has_a_test() {
    let mut found: Vec<String> = std::fs::read_dir(models_dir())
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().strip_suffix(".onnx").map(str::to_string))
        .collect();
    found.sort();
    let mut listed: Vec<String> = MODELS.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(found, listed);
}
