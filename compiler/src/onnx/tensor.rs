//! `TensorProto` → [`Tensor`]: typed fields, `raw_data`, or external data, with size checks.
//!
//! Every size claimed by the file (dims, external `length`) is checked against the limit and
//! against the bytes actually present before anything is allocated for it.

use super::external;
use super::proto::{tensor_proto::DataLocation, TensorProto};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::tensor::element_count;
use crate::ir::{DType, Data, Tensor};
use crate::limits::{self, Limits};
use std::cell::Cell;
use std::path::Path;

/// Decodes tensors of one model: knows its folder (for external data) and the limits, and
/// adds up the bytes of every tensor it reads (the model's weights).
#[derive(Clone, Copy, Debug)]
pub(crate) struct TensorReader<'a> {
    /// The folder external data paths are relative to; `None` when loading from bytes.
    pub model_dir: Option<&'a Path>,
    pub limits: &'a Limits,
    /// Bytes of all tensors read so far, checked against `limits.max_total_weight_bytes`.
    pub total: &'a Cell<u128>,
}

impl TensorReader<'_> {
    /// Decodes one tensor; `label` names it in errors (`initializer 'w'`, `attribute 'value'`).
    pub(crate) fn read(&self, tp: &TensorProto, label: &str) -> Result<Tensor> {
        self.decode(tp, label).map_err(|e| {
            // Limit errors are phrased around the label already ("initializer 'w' needs …").
            if e.kind == ErrorKind::Limit && e.message.starts_with(label) {
                e
            } else {
                e.context(label)
            }
        })
    }

    fn decode(&self, tp: &TensorProto, label: &str) -> Result<Tensor> {
        let dtype = DType::from_onnx(tp.data_type).ok_or_else(|| {
            Error::unsupported(format!(
                "element type {} (code {}) is not supported",
                DType::onnx_code_name(tp.data_type),
                tp.data_type
            ))
        })?;
        if tp.segment.is_some() {
            return Err(Error::unsupported("segmented tensors are not supported"));
        }
        if tp.dims.len() > self.limits.max_rank {
            return Err(limits::rank_exceeded(label, tp.dims.len(), self.limits));
        }
        let shape = dims_to_shape(&tp.dims)?;
        // In u128 first, so that sizes beyond memory are reported against the cap too.
        limits::check_tensor_size(label, &shape, dtype, self.limits)?;
        let count = element_count(&shape)?;
        let bytes = count
            .checked_mul(dtype.size())
            .ok_or_else(|| Error::limit(format!("shape {shape:?} of {dtype} is larger than memory")))?;
        let total = self.total.get().saturating_add(bytes as u128);
        if total > self.limits.max_total_weight_bytes as u128 {
            return Err(Error::limit(format!(
                "{label} brings the initializers and constants to {} in total, above the {} limit (raise it with --max-weight-bytes)",
                limits::Bytes(total),
                limits::Bytes(self.limits.max_total_weight_bytes as u128)
            )));
        }
        let data = match DataLocation::try_from(tp.data_location) {
            Ok(DataLocation::External) => {
                let raw = external::read(&tp.external_data, self.model_dir, bytes)?;
                Data::from_le_bytes(dtype, &raw)?
            }
            Ok(DataLocation::Default) => inline_data(tp, dtype, count)?,
            Err(_) => return Err(Error::invalid(format!("unknown data_location {}", tp.data_location))),
        };
        let tensor = Tensor::new(shape, data)?;
        self.total.set(total);
        Ok(tensor)
    }
}

/// ONNX dims (`int64`) as a static shape; negative dims are invalid.
pub(crate) fn dims_to_shape(dims: &[i64]) -> Result<Vec<usize>> {
    dims.iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| {
                if d < 0 {
                    Error::invalid(format!("dims {dims:?} hold a negative size"))
                } else {
                    Error::limit(format!("dims {dims:?} do not fit in memory"))
                }
            })
        })
        .collect()
}

/// The elements stored inside the message: `raw_data` if set, else the type's typed field.
fn inline_data(tp: &TensorProto, dtype: DType, count: usize) -> Result<Data> {
    if !tp.raw_data.is_empty() {
        let bytes = count * dtype.size(); // checked by the caller
        if tp.raw_data.len() != bytes {
            return Err(Error::invalid(format!(
                "raw_data holds {} bytes, but {count} elements of {dtype} need {bytes}",
                tp.raw_data.len()
            )));
        }
        return Data::from_le_bytes(dtype, &tp.raw_data);
    }
    let (field, found) = match dtype {
        DType::F32 => ("float_data", tp.float_data.len()),
        DType::F64 => ("double_data", tp.double_data.len()),
        DType::I64 => ("int64_data", tp.int64_data.len()),
        DType::U32 | DType::U64 => ("uint64_data", tp.uint64_data.len()),
        DType::I32 | DType::I16 | DType::I8 | DType::U16 | DType::U8 | DType::Bool | DType::F16 | DType::BF16 => {
            ("int32_data", tp.int32_data.len())
        }
    };
    if found != count {
        return Err(Error::invalid(if found == 0 {
            format!("no data for {count} elements of {dtype}")
        } else {
            format!("{field} holds {found} values, but the shape needs {count}")
        }));
    }
    let ints = &tp.int32_data;
    // Narrow types travel widened in int32_data (float16/bfloat16 as their bit patterns):
    // keep the low bits, as the spec's writers put them there.
    Ok(match dtype {
        DType::F32 => Data::F32(tp.float_data.clone()),
        DType::F64 => Data::F64(tp.double_data.clone()),
        DType::I64 => Data::I64(tp.int64_data.clone()),
        DType::U64 => Data::U64(tp.uint64_data.clone()),
        DType::U32 => Data::U32(
            tp.uint64_data
                .iter()
                .map(|&v| {
                    u32::try_from(v).map_err(|_| Error::invalid(format!("uint64_data value {v} is not a uint32")))
                })
                .collect::<Result<_>>()?,
        ),
        DType::I32 => Data::I32(ints.clone()),
        DType::I16 => Data::I16(ints.iter().map(|&v| v as i16).collect()),
        DType::I8 => Data::I8(ints.iter().map(|&v| v as i8).collect()),
        DType::U16 => Data::U16(ints.iter().map(|&v| v as u16).collect()),
        DType::U8 => Data::U8(ints.iter().map(|&v| v as u8).collect()),
        DType::Bool => Data::Bool(ints.iter().map(|&v| u8::from(v != 0)).collect()),
        DType::F16 => Data::F16(ints.iter().map(|&v| v as u16).collect()),
        DType::BF16 => Data::BF16(ints.iter().map(|&v| v as u16).collect()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    /// Reads with a 1 MiB tensor limit and a 2 MiB total.
    fn read(tp: &TensorProto) -> Result<Tensor> {
        let limits = Limits { max_tensor_bytes: 1 << 20, max_total_weight_bytes: 2 << 20, ..Limits::default() };
        let total = Cell::new(0);
        TensorReader { model_dir: None, limits: &limits, total: &total }.read(tp, "tensor 't'")
    }

    fn proto(dtype: DType, dims: &[i64]) -> TensorProto {
        TensorProto { dims: dims.to_vec(), data_type: crate::onnx::test_util::code(dtype), ..TensorProto::default() }
    }

    #[test]
    fn typed_fields_decode_per_the_spec() {
        let t = read(&TensorProto { float_data: vec![1.0, 2.0], ..proto(DType::F32, &[2]) }).unwrap();
        assert_eq!(t, Tensor::from_f32(vec![2], vec![1.0, 2.0]).unwrap());
        let t = read(&TensorProto { int32_data: vec![0, 1, 5], ..proto(DType::Bool, &[3]) }).unwrap();
        assert_eq!(t.data, Data::Bool(vec![0, 1, 1]));
        let t = read(&TensorProto { int32_data: vec![0x3c00], ..proto(DType::F16, &[]) }).unwrap();
        assert_eq!((t.shape.clone(), t.scalar_f32()), (vec![], Some(1.0)));
        let t = read(&TensorProto { int32_data: vec![-3], ..proto(DType::I8, &[1]) }).unwrap();
        assert_eq!(t.data, Data::I8(vec![-3]));
        let t = read(&TensorProto { uint64_data: vec![7], ..proto(DType::U32, &[1]) }).unwrap();
        assert_eq!(t.data, Data::U32(vec![7]));
        let t = read(&TensorProto { int64_data: vec![4, 5], ..proto(DType::I64, &[1, 2]) }).unwrap();
        assert_eq!(t, Tensor::from_i64(vec![1, 2], vec![4, 5]).unwrap());
        let t = read(&TensorProto { double_data: vec![0.5], ..proto(DType::F64, &[1]) }).unwrap();
        assert_eq!(t.data, Data::F64(vec![0.5]));
        let empty = read(&proto(DType::F32, &[0, 3])).unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn raw_data_is_little_endian_and_size_checked() {
        let raw: Vec<u8> = [1.5f32, -2.0].iter().flat_map(|x| x.to_le_bytes()).collect();
        let t = read(&TensorProto { raw_data: raw.clone(), ..proto(DType::F32, &[2]) }).unwrap();
        assert_eq!(t.data, Data::F32(vec![1.5, -2.0]));
        let err = read(&TensorProto { raw_data: raw, ..proto(DType::F32, &[3]) }).unwrap_err();
        assert_eq!(err.message, "tensor 't': raw_data holds 8 bytes, but 3 elements of f32 need 12");
    }

    #[test]
    fn bad_sizes_and_types_are_errors() {
        let err = read(&TensorProto { float_data: vec![1.0], ..proto(DType::F32, &[2]) }).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid);
        let err = read(&proto(DType::F32, &[2, -1])).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid);
        // A claimed size far beyond the data must fail on the limit, not try to allocate.
        let err = read(&proto(DType::F32, &[1 << 40, 1 << 20])).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Limit);
        assert_eq!(
            err.message,
            "tensor 't' ([1099511627776, 1048576] of f32) needs 4 EiB, above the 1 MiB limit (raise it with --max-tensor-bytes)"
        );
        let err = read(&proto(DType::F32, &[i64::MAX, i64::MAX])).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Limit);
        assert!(err.message.contains("above the 1 MiB limit"), "{err}");
        let err = read(&proto(DType::F32, &[1; 9])).unwrap_err();
        assert!(err.message.contains("9 dimensions"), "{err}");
        let err = read(&TensorProto { data_type: 8, dims: vec![1], ..TensorProto::default() }).unwrap_err();
        assert_eq!(
            (err.kind, err.message.as_str()),
            (ErrorKind::Unsupported, "tensor 't': element type STRING (code 8) is not supported")
        );
        let err = read(&TensorProto { data_location: 1, ..proto(DType::F32, &[1]) }).unwrap_err();
        assert!(err.message.contains("external"), "{err}");
    }

    #[test]
    fn the_total_of_all_tensors_is_capped() {
        let limits = Limits { max_total_weight_bytes: 10, ..Limits::default() };
        let total = Cell::new(0);
        let reader = TensorReader { model_dir: None, limits: &limits, total: &total };
        let t = TensorProto { float_data: vec![1.0, 2.0], ..proto(DType::F32, &[2]) };
        reader.read(&t, "initializer 'a'").unwrap();
        assert_eq!(total.get(), 8);
        let err = reader.read(&t, "initializer 'b'").unwrap_err();
        assert_eq!(
            err.message,
            "initializer 'b' brings the initializers and constants to 16 bytes in total, above the 10 bytes limit (raise it with --max-weight-bytes)"
        );
        assert_eq!(total.get(), 8);
    }
}
