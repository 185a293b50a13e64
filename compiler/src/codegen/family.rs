//! Kernel families beyond `generic`: which sources a SIMD target adds to the crate, which
//! kernel calls they take over, and what the crate must check at compile time.
//!
//! A SIMD family is its `vec.rs` (the vector primitives of one ISA) plus the shared kernels of
//! `codegen-templates/src/simd/`, written against those primitives only. Ops without a SIMD
//! kernel keep calling the generic one, and every SIMD kernel falls back to its generic
//! sibling for shapes it does not cover, so a family never changes what a model computes.

use super::sources::Source;

/// One SIMD kernel family.
pub struct Family {
    /// `kernel_family` in the target file (the folder name in `codegen-templates`).
    pub name: &'static str,
    /// The family's `vec.rs` (its vector primitives), copied into `src/kernels/` with the
    /// shared [`SHARED_SOURCES`] next to the generic ones.
    pub vec: Source,
    /// `cfg` predicate that must hold when the crate is built, and how to satisfy it.
    pub requires: &'static str,
    pub hint: &'static str,
    /// Oldest Rust with every intrinsic the family uses.
    pub rust_version: &'static str,
    /// Columns of the GEMM tile (`GEMM_VECS · LANES` of its `vec.rs`): the widest weight panel
    /// the layout pass packs for it (it may cut narrower ones, in whole vectors).
    pub gemm_panel: usize,
    /// Rows of the GEMM tile (`GEMM_ROWS` of its `vec.rs`).
    pub gemm_rows: usize,
}

/// Kernel calls a SIMD family takes over: (generic module, function, SIMD module). The SIMD
/// functions have the generic ones' signatures.
pub const ROUTES: &[(&str, &str, &str)] = &[
    ("conv", "conv2d", "simd_conv"),
    ("conv_nhwc", "conv2d_nhwc", "simd_conv_nhwc"),
    ("depthwise_block", "depthwise_block", "simd_depthwise_block"),
    ("pool_nhwc", "max_pool2d_nhwc", "simd_pool_nhwc"),
    ("pool_nhwc", "avg_pool2d_nhwc", "simd_pool_nhwc"),
    ("pool_nhwc", "global_avg_pool_nhwc", "simd_pool_nhwc"),
    ("pool_nhwc", "global_max_pool_nhwc", "simd_pool_nhwc"),
    ("gemm", "gemm", "simd_gemm"),
    ("gemm", "matmul", "simd_gemm"),
    ("softmax", "softmax", "simd_softmax"),
    ("winograd", "winograd_conv", "simd_winograd"),
];

/// The kernels every family shares, written against its `vec` only.
pub const SHARED_SOURCES: &[Source] = &[
    Source { module: "simd_conv", text: include_str!("../../../codegen-templates/src/simd/simd_conv.rs") },
    Source { module: "simd_conv_nhwc", text: include_str!("../../../codegen-templates/src/simd/simd_conv_nhwc.rs") },
    Source { module: "simd_depthwise_block", text: include_str!("../../../codegen-templates/src/simd/simd_depthwise_block.rs") },
    Source { module: "simd_depthwise_nhwc", text: include_str!("../../../codegen-templates/src/simd/simd_depthwise_nhwc.rs") },
    Source { module: "simd_pool_nhwc", text: include_str!("../../../codegen-templates/src/simd/simd_pool_nhwc.rs") },
    Source { module: "simd_gemm", text: include_str!("../../../codegen-templates/src/simd/simd_gemm.rs") },
    Source { module: "simd_math", text: include_str!("../../../codegen-templates/src/simd/simd_math.rs") },
    Source { module: "simd_softmax", text: include_str!("../../../codegen-templates/src/simd/simd_softmax.rs") },
    Source { module: "simd_winograd", text: include_str!("../../../codegen-templates/src/simd/simd_winograd.rs") },
];

/// The SIMD families.
pub const FAMILIES: &[Family] = &[
    Family {
        name: "x86_avx512",
        vec: Source { module: "vec", text: include_str!("../../../codegen-templates/src/x86_avx512/vec.rs") },
        requires: r#"all(target_arch = "x86_64", target_feature = "avx512f", target_feature = "fma")"#,
        hint: "build with RUSTFLAGS=\\\"-C target-cpu=native\\\" on a CPU with AVX-512F and FMA, or -C target-feature=+avx512f,+fma",
        rust_version: "1.89",
        gemm_panel: 48,
        gemm_rows: 8,
    },
    Family {
        name: "x86_avx2",
        vec: Source { module: "vec", text: include_str!("../../../codegen-templates/src/x86_avx2/vec.rs") },
        requires: r#"all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma")"#,
        hint: "build with RUSTFLAGS=\\\"-C target-cpu=native\\\" on a CPU with AVX2 and FMA, or -C target-cpu=x86-64-v3",
        rust_version: "1.85",
        gemm_panel: 24,
        gemm_rows: 4,
    },
    Family {
        name: "aarch64_neon",
        vec: Source { module: "vec", text: include_str!("../../../codegen-templates/src/aarch64_neon/vec.rs") },
        requires: r#"all(target_arch = "aarch64", target_feature = "neon")"#,
        hint: "build with --target aarch64-unknown-linux-gnu (or another AArch64 target: NEON is on by default)",
        rust_version: "1.85",
        gemm_panel: 12,
        gemm_rows: 8,
    },
];

/// The SIMD family called `name`, or `None` for `generic` and unknown names.
pub fn family(name: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| f.name == name)
}

/// The module that implements `module::function` in a crate of `family`.
pub fn route(family: Option<&Family>, module: &'static str, function: &str) -> &'static str {
    match family {
        Some(_) => ROUTES.iter().find(|r| r.0 == module && r.1 == function).map_or(module, |r| r.2),
        None => module,
    }
}

/// Lines appended to `lib.rs`: the compile-time check that makes the SIMD kernels sound.
pub fn guard(family: &Family, target: &str) -> String {
    format!(
        "\n// Built for target `{target}`: the kernels use these instructions without run-time checks.\n#[cfg(not({}))]\ncompile_error!(\"this crate was generated for target {target}: {}\");\n",
        family.requires, family.hint
    )
}

/// `.cargo/config.toml` of the crate: enables the family's features for a plain `cargo build`
/// in the crate's folder (`RUSTFLAGS`, when set, replaces it).
///
/// AArch64 targets enable NEON by default, so the `aarch64_neon` crate sets no flags (they
/// would warn on the host, which is not the target): it only links the static musl target
/// with `rust-lld`, which builds from any host with nothing but `rustup target add`.
pub fn cargo_config(family: &Family, features: &[String]) -> String {
    if family.name == "aarch64_neon" {
        return AARCH64_CONFIG.to_string();
    }
    let flags: Vec<String> = features.iter().map(|f| format!("+{f}")).collect();
    format!(
        "# Generated by onnxc: the target's CPU features (the crate refuses to build without them).\n[build]\nrustflags = [\"-C\", \"target-feature={}\"]\n",
        flags.join(",")
    )
}

const AARCH64_CONFIG: &str = "\
# Generated by onnxc for an AArch64 target: NEON is on by default there, so no flags are needed.
# Build with `cargo build --release --target aarch64-unknown-linux-gnu` (or -musl, or any other
# AArch64 target); the crate refuses to build for other architectures.
# The static musl target links with rust-lld, so it builds from any host with only
# `rustup target add aarch64-unknown-linux-musl` (run it on x86 with `qemu-aarch64`).
[target.aarch64-unknown-linux-musl]
linker = \"rust-lld\"
";
