//! Constant tensor values: initializers, folded results, and the evaluator's working data.

use super::dtype::DType;
use crate::error::{Error, Result};

/// Element storage of a constant tensor, one variant per Rust element type.
///
/// `Bool` holds 0/1 bytes, `F16`/`BF16` hold raw bit patterns.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    F32(Vec<f32>),
    F64(Vec<f64>),
    F16(Vec<u16>),
    BF16(Vec<u16>),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    Bool(Vec<u8>),
}

/// Runs `$body` with `$v` bound to the vector inside any `Data` variant.
#[macro_export]
macro_rules! with_data {
    ($data:expr, $v:ident => $body:expr) => {
        match $data {
            $crate::ir::Data::F32($v) => $body,
            $crate::ir::Data::F64($v) => $body,
            $crate::ir::Data::F16($v) => $body,
            $crate::ir::Data::BF16($v) => $body,
            $crate::ir::Data::I8($v) => $body,
            $crate::ir::Data::I16($v) => $body,
            $crate::ir::Data::I32($v) => $body,
            $crate::ir::Data::I64($v) => $body,
            $crate::ir::Data::U8($v) => $body,
            $crate::ir::Data::U16($v) => $body,
            $crate::ir::Data::U32($v) => $body,
            $crate::ir::Data::U64($v) => $body,
            $crate::ir::Data::Bool($v) => $body,
        }
    };
}

/// A tensor with a static shape and its elements in row-major order.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Data,
}

impl Data {
    /// A zero-filled vector of `len` elements of `dtype`.
    pub fn zeros(dtype: DType, len: usize) -> Data {
        match dtype {
            DType::F32 => Data::F32(vec![0.0; len]),
            DType::F64 => Data::F64(vec![0.0; len]),
            DType::F16 => Data::F16(vec![0; len]),
            DType::BF16 => Data::BF16(vec![0; len]),
            DType::I8 => Data::I8(vec![0; len]),
            DType::I16 => Data::I16(vec![0; len]),
            DType::I32 => Data::I32(vec![0; len]),
            DType::I64 => Data::I64(vec![0; len]),
            DType::U8 => Data::U8(vec![0; len]),
            DType::U16 => Data::U16(vec![0; len]),
            DType::U32 => Data::U32(vec![0; len]),
            DType::U64 => Data::U64(vec![0; len]),
            DType::Bool => Data::Bool(vec![0; len]),
        }
    }

    pub fn dtype(&self) -> DType {
        match self {
            Data::F32(_) => DType::F32,
            Data::F64(_) => DType::F64,
            Data::F16(_) => DType::F16,
            Data::BF16(_) => DType::BF16,
            Data::I8(_) => DType::I8,
            Data::I16(_) => DType::I16,
            Data::I32(_) => DType::I32,
            Data::I64(_) => DType::I64,
            Data::U8(_) => DType::U8,
            Data::U16(_) => DType::U16,
            Data::U32(_) => DType::U32,
            Data::U64(_) => DType::U64,
            Data::Bool(_) => DType::Bool,
        }
    }

    pub fn len(&self) -> usize {
        with_data!(self, v => v.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Decodes little-endian bytes (ONNX `raw_data`, external data, `.npy` payloads).
    pub fn from_le_bytes(dtype: DType, bytes: &[u8]) -> Result<Data> {
        let size = dtype.size();
        if bytes.len() % size != 0 {
            return Err(Error::invalid(format!(
                "{} bytes is not a whole number of {dtype} elements",
                bytes.len()
            )));
        }
        macro_rules! decode {
            ($variant:ident, $t:ty) => {
                Data::$variant(
                    bytes
                        .chunks_exact(size)
                        .map(|c| <$t>::from_le_bytes(c.try_into().unwrap_or_default()))
                        .collect(),
                )
            };
        }
        Ok(match dtype {
            DType::F32 => decode!(F32, f32),
            DType::F64 => decode!(F64, f64),
            DType::F16 => decode!(F16, u16),
            DType::BF16 => decode!(BF16, u16),
            DType::I8 => decode!(I8, i8),
            DType::I16 => decode!(I16, i16),
            DType::I32 => decode!(I32, i32),
            DType::I64 => decode!(I64, i64),
            DType::U8 => decode!(U8, u8),
            DType::U16 => decode!(U16, u16),
            DType::U32 => decode!(U32, u32),
            DType::U64 => decode!(U64, u64),
            DType::Bool => Data::Bool(bytes.iter().map(|&b| u8::from(b != 0)).collect()),
        })
    }

    /// Encodes the elements as little-endian bytes (the layout of `weights.bin`).
    pub fn to_le_bytes(&self) -> Vec<u8> {
        with_data!(self, v => v.iter().flat_map(|x| x.to_le_bytes()).collect())
    }
}

impl Tensor {
    pub fn new(shape: Vec<usize>, data: Data) -> Result<Tensor> {
        let expected = element_count(&shape)?;
        if expected != data.len() {
            return Err(Error::invalid(format!(
                "tensor of shape {shape:?} needs {expected} elements, found {}",
                data.len()
            )));
        }
        Ok(Tensor { shape, data })
    }

    pub fn zeros(dtype: DType, shape: Vec<usize>) -> Result<Tensor> {
        let len = element_count(&shape)?;
        Ok(Tensor { shape, data: Data::zeros(dtype, len) })
    }

    pub fn from_f32(shape: Vec<usize>, values: Vec<f32>) -> Result<Tensor> {
        Tensor::new(shape, Data::F32(values))
    }

    pub fn from_i64(shape: Vec<usize>, values: Vec<i64>) -> Result<Tensor> {
        Tensor::new(shape, Data::I64(values))
    }

    pub fn dtype(&self) -> DType {
        self.data.dtype()
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn byte_len(&self) -> usize {
        self.len() * self.dtype().size()
    }

    /// The values as `i64`, for integer tensors that carry shapes, axes or indices.
    pub fn to_i64_vec(&self) -> Option<Vec<i64>> {
        Some(match &self.data {
            Data::I64(v) => v.clone(),
            Data::I32(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Data::I16(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Data::I8(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Data::U8(v) | Data::Bool(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Data::U16(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Data::U32(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Data::U64(v) => v.iter().map(|&x| x as i64).collect(),
            _ => return None,
        })
    }

    /// The values as `f32`, for float tensors read by the compiler (scalars, BN statistics).
    pub fn to_f32_vec(&self) -> Option<Vec<f32>> {
        Some(match &self.data {
            Data::F32(v) => v.clone(),
            Data::F64(v) => v.iter().map(|&x| x as f32).collect(),
            Data::F16(v) => v.iter().map(|&x| f16_to_f32(x)).collect(),
            Data::BF16(v) => v.iter().map(|&x| f32::from_bits(u32::from(x) << 16)).collect(),
            _ => self.to_i64_vec()?.into_iter().map(|x| x as f32).collect(),
        })
    }

    /// The single value of a one-element tensor as `f32`.
    pub fn scalar_f32(&self) -> Option<f32> {
        let v = self.to_f32_vec()?;
        (v.len() == 1).then(|| v[0])
    }

    /// True when every element has the same bit pattern (a splat, e.g. a zero bias).
    pub fn is_uniform(&self) -> bool {
        with_data!(&self.data, v => v.windows(2).all(|w| w[0].to_le_bytes() == w[1].to_le_bytes()))
    }
}

/// The number of elements of `shape`, or an error when it overflows.
pub fn element_count(shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| Error::limit(format!("shape {shape:?} has more elements than fit in memory")))
}

/// Converts IEEE half-precision bits to `f32`.
pub fn f16_to_f32(bits: u16) -> f32 {
    let sign = u32::from(bits >> 15) << 31;
    let exp = u32::from((bits >> 10) & 0x1f);
    let mant = u32::from(bits & 0x3ff);
    let magnitude = match (exp, mant) {
        (0, 0) => 0,
        (0, m) => {
            // Subnormal half: value = m * 2^-24.
            return f32::from_bits(sign) + (m as f32) * (1.0 / 16_777_216.0) * if sign != 0 { -1.0 } else { 1.0 };
        }
        (0x1f, 0) => 0xff << 23,
        (0x1f, m) => (0xff << 23) | (m << 13),
        (e, m) => ((e + 112) << 23) | (m << 13),
    };
    f32::from_bits(sign | magnitude)
}
