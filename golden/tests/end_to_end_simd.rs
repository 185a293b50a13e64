//! Every golden model compiled for the SIMD targets (`x86-avx512`, `x86-avx2`), built for this
//! host, run, and compared with onnxruntime like the generic end-to-end test. A target whose
//! instructions this CPU lacks is skipped with a note.

use onnxc::target::Target;
use onnxc_golden::*;

fn host_has(target: &str) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        match target {
            "x86-avx512" => std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("fma"),
            "x86-avx2" => std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma"),
            _ => false,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = target;
        false
    }
}

fn end_to_end(target: &str, name: &str) {
    if !host_has(target) {
        eprintln!("{name}: skipped, this CPU cannot run {target} code");
        return;
    }
    let model = golden_model(name);
    let compiled = compile_for(&model, Target::named(target).expect("built-in target"));
    let generated = build_and_run_for(&model, &compiled, target);
    assert_matches(&model, &generated, TOLERANCE, &format!("generated code for {target}"));
}

macro_rules! golden_tests {
    ($($model:ident)*) => {
        mod x86_avx512 {
            $(#[test] fn $model() { super::end_to_end("x86-avx512", stringify!($model)); })*
        }
        mod x86_avx2 {
            $(#[test] fn $model() { super::end_to_end("x86-avx2", stringify!($model)); })*
        }
        #[test]
        fn every_golden_model_has_a_test() {
            let mut listed = vec![$(stringify!($model)),*];
            listed.sort();
            let mut all: Vec<&str> = MODELS.to_vec();
            all.sort();
            assert_eq!(listed, all);
        }
    };
}

golden_tests!(mlp lenet kws_dscnn vww_mobilenet ic_resnet8 ad_autoencoder tiny_transformer mobilenetv2);
