//! Snapshots (insta) of the IR after every pass and of the generated `lib.rs` for the small
//! golden models: any change in a pass or in codegen shows up as a reviewable diff.
//! Update with `INSTA_UPDATE=always cargo test -p onnxc-golden --test snapshots` (or `cargo insta review`).

use onnxc::onnx::ImportOptions;
use onnxc::target::Target;
use onnxc_golden::*;

const SMALL: &[&str] = &["mlp", "lenet", "kws_dscnn"];

#[test]
fn ir_after_each_pass() {
    for name in SMALL {
        let model = golden_model(name);
        let mut passes = vec!["import"];
        passes.extend(onnxc::passes::pass_names());
        for (i, pass) in passes.iter().enumerate() {
            let graph = onnxc::driver::load_and_optimize(&model.onnx, &ImportOptions::default(), &Target::generic(), Some(pass))
                .unwrap_or_else(|e| panic!("{name} after {pass}: {e}"));
            insta::assert_snapshot!(format!("{name}__{i:02}_{pass}"), onnxc::ir::text::to_text(&graph));
        }
    }
}

#[test]
fn generated_lib_rs() {
    for name in SMALL {
        let model = golden_model(name);
        let compiled = compile(&model);
        let lib = String::from_utf8(compiled.files["src/lib.rs"].clone()).unwrap();
        // The header names the model's hash; keep it, it changes only when the model does.
        insta::assert_snapshot!(format!("{name}__lib_rs"), lib);
    }
}
