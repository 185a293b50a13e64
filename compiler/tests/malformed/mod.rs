//! The malformed-model corpus, built in memory from ONNX protos (or raw protobuf bytes where the
//! protos cannot express the damage). Shared by `malformed.rs`, which runs the `onnxc` binary on
//! every case, and `malformed_memory.rs`, which runs the library in-process under a counting
//! allocator.
#![allow(dead_code)]

use onnxc::driver::CompileOptions;
use onnxc::onnx::proto::ModelProto;
use onnxc::onnx::ImportOptions;
use onnxc::target::Target;
use prost::Message;
use std::path::{Path, PathBuf};

pub mod build;
pub mod wire;

pub use build::*;

/// A file the case needs besides the model.
pub enum Extra {
    /// A file in the model's folder.
    File(&'static str, Vec<u8>),
    /// A file in the folder above the model's (outside it).
    Outside(&'static str, Vec<u8>),
    /// A symbolic link in the model's folder to a file of the folder above.
    LinkOut { link: &'static str, target: &'static str },
}

/// One malformed model and what onnxc must say about it.
pub struct Case {
    pub name: String,
    pub bytes: Vec<u8>,
    pub extra: Vec<Extra>,
    /// Extra command-line flags, in pairs (`--max-arena-bytes`, `64MiB`).
    pub flags: Vec<String>,
    /// Words the one-line error must contain: what is wrong, and where.
    pub expect: Vec<String>,
}

impl Case {
    pub fn new(name: impl Into<String>, bytes: Vec<u8>, expect: &[&str]) -> Case {
        Case {
            name: name.into(),
            bytes,
            extra: Vec::new(),
            flags: Vec::new(),
            expect: expect.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn model(name: &str, model: ModelProto, expect: &[&str]) -> Case {
        Case::new(name, model.encode_to_vec(), expect)
    }

    pub fn with_flags(mut self, flags: &[&str]) -> Case {
        self.flags.extend(flags.iter().map(|s| s.to_string()));
        self
    }

    pub fn with_extra(mut self, extra: Extra) -> Case {
        self.extra.push(extra);
        self
    }

    /// Writes the model (as `<dir>/model/<name>.onnx`) and its extra files under `dir`; returns
    /// the model's path.
    pub fn materialize(&self, dir: &Path) -> PathBuf {
        let _ = std::fs::remove_dir_all(dir);
        let model_dir = dir.join("model");
        std::fs::create_dir_all(&model_dir).unwrap();
        for extra in &self.extra {
            match extra {
                Extra::File(name, bytes) => std::fs::write(model_dir.join(name), bytes).unwrap(),
                Extra::Outside(name, bytes) => std::fs::write(dir.join(name), bytes).unwrap(),
                Extra::LinkOut { link, target } => {
                    #[cfg(unix)]
                    std::os::unix::fs::symlink(dir.join(target), model_dir.join(link)).unwrap();
                    #[cfg(not(unix))]
                    let _ = (link, target);
                }
            }
        }
        let path = model_dir.join(format!("{}.onnx", self.name));
        std::fs::write(&path, &self.bytes).unwrap();
        path
    }

    /// The compile options the flags stand for (as the CLI parses them).
    pub fn compile_options(&self) -> CompileOptions {
        let mut import = ImportOptions::default();
        for pair in self.flags.chunks(2) {
            let (flag, value) = (pair[0].as_str(), pair[1].as_str());
            let l = &mut import.limits;
            match flag {
                "--dim" => {
                    let (k, v) = value.split_once('=').unwrap();
                    import.dims.insert(k.to_string(), v.parse().unwrap());
                }
                "--max-tensor-bytes" => l.max_tensor_bytes = onnxc::limits::parse_size(value).unwrap(),
                "--max-weight-bytes" => l.max_total_weight_bytes = onnxc::limits::parse_size(value).unwrap(),
                "--max-arena-bytes" => l.max_arena_bytes = onnxc::limits::parse_size(value).unwrap(),
                "--max-nodes" => l.max_nodes = onnxc::limits::parse_count(value).unwrap(),
                "--max-decode-expansion" => l.max_decode_expansion = onnxc::limits::parse_count(value).unwrap(),
                other => panic!("unknown flag {other}"),
            }
        }
        CompileOptions {
            target: Target::generic(),
            import,
            crate_name: None,
            standalone_workspace: true,
            layout: onnxc::codegen::Layout::Crate,
            flags: String::new(),
        }
    }
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// `golden/models/lenet.onnx`.
pub fn lenet() -> Vec<u8> {
    std::fs::read(repo().join("golden/models/lenet.onnx")).unwrap()
}

/// Deterministic pseudo-random numbers (xorshift64).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Where `lenet.onnx` is cut for the truncation cases: inside the header fields, inside the
/// graph at many depths, and inside the trailing opset import.
pub fn truncation_offsets(len: usize) -> Vec<usize> {
    vec![1, 2, 10, 30, 50, 68, 100, 1_000, 10_000, len / 4, len / 2, 3 * len / 4, len - 100, len - 3, len - 1]
}

/// `count` copies of a small model, each with one bit flipped (seeded: the same every run).
pub fn bit_flips(count: usize) -> Vec<(String, Vec<u8>)> {
    let base = small_cnn().encode_to_vec();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..count)
        .map(|i| {
            let mut bytes = base.clone();
            let at = rng.below(bytes.len());
            let bit = rng.below(8);
            bytes[at] ^= 1 << bit;
            (format!("bit_flip_{i:03}_byte{at}_bit{bit}"), bytes)
        })
        .collect()
}

/// Every case of the corpus.
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(file_cases());
    cases.extend(wire::cases());
    cases.extend(build::tensor_cases());
    cases.extend(build::graph_cases());
    cases.extend(build::opset_and_attribute_cases());
    cases.extend(build::external_cases());
    cases.extend(build::limit_cases());
    cases.extend(build::inference_cases());
    cases
}

/// Whole-file damage: empty, zeros, truncations of a real model.
fn file_cases() -> Vec<Case> {
    let mut cases = vec![
        Case::new("empty_file", Vec::new(), &["not a valid ONNX model", "the file is empty"]),
        Case::new("zeros_file", vec![0u8; 4096], &["not a valid ONNX model", "invalid tag value: 0"]),
    ];
    let lenet = lenet();
    for cut in truncation_offsets(lenet.len()) {
        cases.push(Case::new(format!("truncated_lenet_at_{cut}"), lenet[..cut].to_vec(), &["not a valid ONNX model"]));
    }
    cases
}
