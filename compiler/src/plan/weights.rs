//! The weights blob: every constant the generated code reads, aligned and deduplicated.

use super::arena::ALIGN;
use crate::ir::Tensor;
use std::collections::HashMap;

/// Bytes of `weights.bin`, built up constant by constant.
#[derive(Clone, Debug, Default)]
pub struct WeightBlob {
    pub bytes: Vec<u8>,
    /// Identical constants are stored once: content → offset.
    seen: HashMap<Vec<u8>, usize>,
}

impl WeightBlob {
    /// Appends `t` (little-endian, aligned to [`ALIGN`]) unless identical bytes are already
    /// stored, and returns its (offset, length in bytes).
    pub fn add(&mut self, t: &Tensor) -> (usize, usize) {
        let data = t.data.to_le_bytes();
        let len = data.len();
        if let Some(&offset) = self.seen.get(&data) {
            return (offset, len);
        }
        let offset = self.bytes.len().div_ceil(ALIGN) * ALIGN;
        self.bytes.resize(offset, 0);
        self.bytes.extend_from_slice(&data);
        self.seen.insert(data, offset);
        (offset, len)
    }
}
