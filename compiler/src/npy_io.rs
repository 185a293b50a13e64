//! `.npy` files ↔ IR tensors, for `onnxc run` and the golden tests.

use crate::error::{Error, Result};
use crate::ir::{DType, Data, Tensor};
use onnxc_runtime_min::npy::{self, NpyArray, NpyDtype};
use std::path::Path;

fn dtype_of(d: NpyDtype) -> DType {
    match d {
        NpyDtype::F32 => DType::F32,
        NpyDtype::F64 => DType::F64,
        NpyDtype::F16 => DType::F16,
        NpyDtype::I8 => DType::I8,
        NpyDtype::I16 => DType::I16,
        NpyDtype::I32 => DType::I32,
        NpyDtype::I64 => DType::I64,
        NpyDtype::U8 => DType::U8,
        NpyDtype::U16 => DType::U16,
        NpyDtype::U32 => DType::U32,
        NpyDtype::U64 => DType::U64,
        NpyDtype::Bool => DType::Bool,
    }
}

/// The `.npy` element type that stores `dtype` (bfloat16, which `.npy` lacks, travels as its
/// uint16 bit patterns).
pub fn npy_dtype(dtype: DType) -> Result<NpyDtype> {
    Ok(match dtype {
        DType::F32 => NpyDtype::F32,
        DType::F64 => NpyDtype::F64,
        DType::F16 => NpyDtype::F16,
        DType::I8 => NpyDtype::I8,
        DType::I16 => NpyDtype::I16,
        DType::I32 => NpyDtype::I32,
        DType::I64 => NpyDtype::I64,
        DType::U8 => NpyDtype::U8,
        DType::U16 => NpyDtype::U16,
        DType::U32 => NpyDtype::U32,
        DType::U64 => NpyDtype::U64,
        DType::Bool => NpyDtype::Bool,
        DType::BF16 => NpyDtype::U16,
    })
}

/// Converts a parsed `.npy` array into a tensor (uint16 stays uint16: the caller knows when it
/// is bfloat16).
pub fn from_npy(a: &NpyArray) -> Result<Tensor> {
    let data = Data::from_le_bytes(dtype_of(a.dtype), &a.data)?;
    Tensor::new(a.shape.clone(), data)
}

/// Reads a `.npy` file as a tensor.
pub fn read_tensor(path: &Path) -> Result<Tensor> {
    let a = npy::read(path).map_err(|e| Error::io(format!("{}: {e}", path.display())))?;
    from_npy(&a).map_err(|e| e.context(path.display()))
}

/// Writes a tensor as a `.npy` file.
pub fn write_tensor(path: &Path, t: &Tensor) -> Result<()> {
    let a = NpyArray::new(npy_dtype(t.dtype())?, t.shape.clone(), t.data.to_le_bytes()).map_err(Error::internal)?;
    npy::write(path, &a).map_err(|e| Error::io(format!("{}: {e}", path.display())))
}

/// The file stem an output named `name` is written under (same rule as generated runners).
pub fn file_stem(name: &str) -> String {
    onnxc_runtime_min::runner::sanitize(name)
}

/// The first few values of a tensor, for printing.
pub fn preview(t: &Tensor) -> String {
    crate::with_data!(&t.data, v => {
        let shown: Vec<String> = v.iter().take(16).map(|x| format!("{x:?}")).collect();
        format!("[{}{}]", shown.join(", "), if v.len() > 16 { ", …" } else { "" })
    })
}
