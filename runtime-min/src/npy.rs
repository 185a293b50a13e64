//! Reading and writing NumPy `.npy` files (the `std` runner's input and output format).
//!
//! Reads format versions 1.0, 2.0 and 3.0 and writes 1.0 (2.0 only if a header would exceed
//! 64 KiB). Only little-endian, C-order arrays of the plain numeric dtypes in [`NpyDtype`] are
//! supported; everything else is rejected with a message, never a panic: [`parse`] is meant for
//! untrusted files and allocates no more than the input's own size.

use std::fmt;
use std::format;
use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

/// The element types this module reads and writes (all stored little-endian).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NpyDtype {
    F32,
    F64,
    /// IEEE half precision, handled as raw `u16` bit patterns.
    F16,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    /// One byte per element, 0 or 1 (nonzero bytes are normalised to 1 when parsing).
    Bool,
}

impl NpyDtype {
    /// Every dtype, in declaration order.
    pub const ALL: [NpyDtype; 12] = [
        NpyDtype::F32,
        NpyDtype::F64,
        NpyDtype::F16,
        NpyDtype::I8,
        NpyDtype::I16,
        NpyDtype::I32,
        NpyDtype::I64,
        NpyDtype::U8,
        NpyDtype::U16,
        NpyDtype::U32,
        NpyDtype::U64,
        NpyDtype::Bool,
    ];

    /// The numpy type string as written in headers: `<f4`, `|b1`, `|u1`, …
    pub fn descr(self) -> &'static str {
        match self {
            NpyDtype::F32 => "<f4",
            NpyDtype::F64 => "<f8",
            NpyDtype::F16 => "<f2",
            NpyDtype::I8 => "|i1",
            NpyDtype::I16 => "<i2",
            NpyDtype::I32 => "<i4",
            NpyDtype::I64 => "<i8",
            NpyDtype::U8 => "|u1",
            NpyDtype::U16 => "<u2",
            NpyDtype::U32 => "<u4",
            NpyDtype::U64 => "<u8",
            NpyDtype::Bool => "|b1",
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            NpyDtype::I8 | NpyDtype::U8 | NpyDtype::Bool => 1,
            NpyDtype::F16 | NpyDtype::I16 | NpyDtype::U16 => 2,
            NpyDtype::F32 | NpyDtype::I32 | NpyDtype::U32 => 4,
            NpyDtype::F64 | NpyDtype::I64 | NpyDtype::U64 => 8,
        }
    }

    /// The Rust-style name used in messages: `f32`, `i64`, `bool`, …
    pub fn name(self) -> &'static str {
        match self {
            NpyDtype::F32 => "f32",
            NpyDtype::F64 => "f64",
            NpyDtype::F16 => "f16",
            NpyDtype::I8 => "i8",
            NpyDtype::I16 => "i16",
            NpyDtype::I32 => "i32",
            NpyDtype::I64 => "i64",
            NpyDtype::U8 => "u8",
            NpyDtype::U16 => "u16",
            NpyDtype::U32 => "u32",
            NpyDtype::U64 => "u64",
            NpyDtype::Bool => "bool",
        }
    }

    /// Parses a header type string. The byte-order character must be `<` (or `|`, `<`, `>` for
    /// one-byte types, where it means nothing); `>` on wider types, `=` and unknown codes are
    /// errors.
    pub fn from_descr(descr: &str) -> Result<NpyDtype, String> {
        let bytes = descr.as_bytes();
        if bytes.len() < 2 {
            return Err(format!("unsupported dtype '{descr}'"));
        }
        let (order, code) = (bytes[0], &bytes[1..]);
        let dtype = NpyDtype::ALL
            .into_iter()
            .find(|d| &d.descr().as_bytes()[1..] == code)
            .ok_or_else(|| format!("unsupported dtype '{descr}'"))?;
        match order {
            b'<' => Ok(dtype),
            b'|' | b'>' if dtype.size() == 1 => Ok(dtype),
            b'>' => Err(format!(
                "big-endian dtype '{descr}' is not supported (use '<')"
            )),
            b'|' => Err(format!("dtype '{descr}' needs a byte order ('<')")),
            _ => Err(format!(
                "unsupported byte order in dtype '{descr}' (use '<')"
            )),
        }
    }
}

impl fmt::Display for NpyDtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A dense array: little-endian elements in C (row-major) order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpyArray {
    pub dtype: NpyDtype,
    /// Empty for a 0-d (scalar) array.
    pub shape: Vec<usize>,
    /// `product(shape) × dtype.size()` bytes.
    pub data: Vec<u8>,
}

/// Rust element types that map onto an [`NpyDtype`] (`bool` as one byte, 0 or 1).
pub trait NpyElement: Copy + sealed::Sealed {
    const DTYPE: NpyDtype;
    #[doc(hidden)]
    fn write_le(self, out: &mut Vec<u8>);
    #[doc(hidden)]
    fn read_le(bytes: &[u8]) -> Self;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! npy_elements {
    ($($t:ty => $d:ident),* $(,)?) => {$(
        impl sealed::Sealed for $t {}
        impl NpyElement for $t {
            const DTYPE: NpyDtype = NpyDtype::$d;
            fn write_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn read_le(bytes: &[u8]) -> Self {
                let mut a = [0u8; core::mem::size_of::<$t>()];
                a.copy_from_slice(bytes);
                <$t>::from_le_bytes(a)
            }
        }
    )*};
}
npy_elements!(f32 => F32, f64 => F64, i8 => I8, i16 => I16, i32 => I32, i64 => I64,
              u8 => U8, u16 => U16, u32 => U32, u64 => U64);

impl sealed::Sealed for bool {}
impl NpyElement for bool {
    const DTYPE: NpyDtype = NpyDtype::Bool;
    fn write_le(self, out: &mut Vec<u8>) {
        out.push(u8::from(self));
    }
    fn read_le(bytes: &[u8]) -> Self {
        bytes[0] != 0
    }
}

macro_rules! typed_helpers {
    ($($t:ty: $from:ident, $to:ident;)*) => {$(
        #[doc = concat!("An array of `", stringify!($t), "` values; see [`NpyArray::from_values`].")]
        pub fn $from(shape: &[usize], values: &[$t]) -> NpyArray {
            NpyArray::from_values(shape, values)
        }
        #[doc = concat!("The elements as `", stringify!($t), "`; see [`NpyArray::to_values`].")]
        pub fn $to(&self) -> Result<Vec<$t>, String> {
            self.to_values()
        }
    )*};
}

impl NpyArray {
    /// Checks that `data` holds exactly `product(shape)` elements of `dtype`.
    pub fn new(dtype: NpyDtype, shape: Vec<usize>, data: Vec<u8>) -> Result<NpyArray, String> {
        let want = byte_len(dtype, &shape)?;
        if data.len() != want {
            return Err(format!(
                "{} bytes of data for {} {}, which needs {want}",
                data.len(),
                dtype,
                shape_str(&shape)
            ));
        }
        Ok(NpyArray { dtype, shape, data })
    }

    /// Number of elements (`product(shape)`, 1 for a 0-d array).
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An array of `T`s with the given shape.
    ///
    /// # Panics
    /// If `values.len()` is not the product of `shape` (a programming error, not a data error).
    pub fn from_values<T: NpyElement>(shape: &[usize], values: &[T]) -> NpyArray {
        let count: usize = shape.iter().product();
        assert_eq!(count, values.len(), "shape {shape:?} needs {count} values");
        let mut data = Vec::with_capacity(values.len() * T::DTYPE.size());
        for &v in values {
            v.write_le(&mut data);
        }
        NpyArray {
            dtype: T::DTYPE,
            shape: shape.to_vec(),
            data,
        }
    }

    /// The elements as `T`s; the dtype must be exactly `T`'s (no conversions).
    pub fn to_values<T: NpyElement>(&self) -> Result<Vec<T>, String> {
        if self.dtype != T::DTYPE {
            return Err(format!("array is {}, not {}", self.dtype, T::DTYPE));
        }
        let size = self.dtype.size();
        if !self.data.chunks_exact(size).remainder().is_empty() {
            return Err(format!(
                "{} bytes is not a whole number of {}",
                self.data.len(),
                self.dtype
            ));
        }
        Ok(self.data.chunks_exact(size).map(T::read_le).collect())
    }

    typed_helpers! {
        f32: from_f32, to_f32;
        f64: from_f64, to_f64;
        i8: from_i8, to_i8;
        i16: from_i16, to_i16;
        i32: from_i32, to_i32;
        i64: from_i64, to_i64;
        u8: from_u8, to_u8;
        u16: from_u16, to_u16;
        u32: from_u32, to_u32;
        u64: from_u64, to_u64;
        bool: from_bool, to_bool;
    }

    /// An `F16` array from raw half-precision bit patterns.
    ///
    /// # Panics
    /// As [`NpyArray::from_values`].
    pub fn from_f16_bits(shape: &[usize], bits: &[u16]) -> NpyArray {
        NpyArray {
            dtype: NpyDtype::F16,
            ..NpyArray::from_values(shape, bits)
        }
    }

    /// The raw half-precision bit patterns of an `F16` array.
    pub fn to_f16_bits(&self) -> Result<Vec<u16>, String> {
        if self.dtype != NpyDtype::F16 {
            return Err(format!("array is {}, not f16", self.dtype));
        }
        NpyArray {
            dtype: NpyDtype::U16,
            ..self.clone()
        }
        .to_values()
    }

    /// Every element converted to `f64`, whatever the dtype (`f16` decoded, `bool` as 0/1;
    /// 64-bit integers beyond 2^53 lose precision). For printing and comparing.
    pub fn to_f64_lossy(&self) -> Vec<f64> {
        let size = self.dtype.size();
        self.data
            .chunks_exact(size)
            .map(|b| match self.dtype {
                NpyDtype::F32 => f32::read_le(b) as f64,
                NpyDtype::F64 => f64::read_le(b),
                NpyDtype::F16 => f16_to_f64(u16::read_le(b)),
                NpyDtype::I8 => i8::read_le(b) as f64,
                NpyDtype::I16 => i16::read_le(b) as f64,
                NpyDtype::I32 => i32::read_le(b) as f64,
                NpyDtype::I64 => i64::read_le(b) as f64,
                NpyDtype::U8 => b[0] as f64,
                NpyDtype::U16 => u16::read_le(b) as f64,
                NpyDtype::U32 => u32::read_le(b) as f64,
                NpyDtype::U64 => u64::read_le(b) as f64,
                NpyDtype::Bool => f64::from(u8::from(b[0] != 0)),
            })
            .collect()
    }
}

/// Decodes an IEEE half-precision bit pattern (exactly).
pub fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let frac = (h & 0x3ff) as f64;
    let mag = match exp {
        0 => frac * (1.0 / 16_777_216.0), // frac · 2^-24
        31 if frac == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1024.0 + frac) * pow2(exp - 25),
    };
    sign * mag
}

fn pow2(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// `(2, 3)`, `(5,)`, `()`: a shape as numpy prints it.
pub fn shape_str(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

fn byte_len(dtype: NpyDtype, shape: &[usize]) -> Result<usize, String> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .and_then(|n| n.checked_mul(dtype.size()))
        .ok_or_else(|| format!("shape {} of {dtype} is too large", shape_str(shape)))
}

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Reads a `.npy` file; errors name the file.
pub fn read(path: impl AsRef<Path>) -> Result<NpyArray, String> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses the bytes of a `.npy` file (versions 1.0, 2.0 and 3.0).
pub fn parse(bytes: &[u8]) -> Result<NpyArray, String> {
    if bytes.len() < 8 || &bytes[..6] != MAGIC {
        return Err("not a .npy file (bad magic)".to_string());
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let len_size = match (major, minor) {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        _ => return Err(format!("unsupported .npy format version {major}.{minor}")),
    };
    let header_start = 8 + len_size;
    if bytes.len() < header_start {
        return Err("truncated .npy header".to_string());
    }
    let header_len = if len_size == 2 {
        u16::from_le_bytes([bytes[8], bytes[9]]) as usize
    } else {
        u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize
    };
    let data_start = header_start
        .checked_add(header_len)
        .filter(|&end| end <= bytes.len())
        .ok_or_else(|| {
            format!(
                "truncated .npy header: {header_len} bytes announced, {} present",
                bytes.len() - header_start
            )
        })?;
    let header = parse_header(&bytes[header_start..data_start])?;
    if header.fortran_order {
        return Err(
            "fortran_order arrays are not supported (save a C-contiguous array)".to_string(),
        );
    }
    let want = byte_len(header.dtype, &header.shape)?;
    let have = bytes.len() - data_start;
    if have != want {
        let what = if have < want {
            "truncated data"
        } else {
            "trailing bytes after the data"
        };
        return Err(format!(
            "{what}: {} {} needs {want} bytes, the file has {have}",
            header.dtype,
            shape_str(&header.shape)
        ));
    }
    let mut data = bytes[data_start..].to_vec();
    if header.dtype == NpyDtype::Bool {
        for b in &mut data {
            *b = u8::from(*b != 0);
        }
    }
    Ok(NpyArray {
        dtype: header.dtype,
        shape: header.shape,
        data,
    })
}

struct Header {
    dtype: NpyDtype,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// A cursor over the header's Python dict literal.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && matches!(self.s[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.pos).copied()
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected '{}'", c as char)))
        }
    }

    fn error(&self, what: &str) -> String {
        let at = &self.s[self.pos.min(self.s.len())..];
        let at = String::from_utf8_lossy(&at[..at.len().min(20)]).into_owned();
        format!("bad .npy header: {what} at byte {} (near {at:?})", self.pos)
    }

    /// A Python string literal in single or double quotes (escapes are not expected in the
    /// keys and type strings numpy writes and are rejected).
    fn string(&mut self) -> Result<&'a str, String> {
        let s: &'a [u8] = self.s;
        let quote = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err(self.error("expected a string")),
        };
        let start = self.pos + 1;
        let len = s[start..].iter().position(|&c| c == quote || c == b'\\');
        match len {
            Some(n) if s[start + n] == quote => {
                self.pos = start + n + 1;
                std::str::from_utf8(&s[start..start + n])
                    .map_err(|_| self.error("non-UTF-8 string"))
            }
            _ => Err(self.error("unterminated or escaped string")),
        }
    }

    fn word(&mut self) -> &[u8] {
        self.skip_ws();
        let start = self.pos;
        while self.pos < self.s.len()
            && (self.s[self.pos].is_ascii_alphanumeric() || self.s[self.pos] == b'_')
        {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }

    fn boolean(&mut self) -> Result<bool, String> {
        let start = self.pos;
        match self.word() {
            b"True" => Ok(true),
            b"False" => Ok(false),
            _ => {
                self.pos = start;
                Err(self.error("expected True or False"))
            }
        }
    }

    /// `()`, `(5,)`, `(2, 3)`, also `[2, 3]` and Python 2's `(2L, 3L)`.
    fn shape(&mut self) -> Result<Vec<usize>, String> {
        let close = match self.peek() {
            Some(b'(') => b')',
            Some(b'[') => b']',
            _ => return Err(self.error("expected a shape tuple")),
        };
        self.pos += 1;
        let mut dims = Vec::new();
        loop {
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(dims);
            }
            let start = self.pos;
            let w = self.word();
            let digits = w.strip_suffix(b"L").unwrap_or(w);
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                self.pos = start;
                return Err(self.error("expected a dimension"));
            }
            let dim = digits
                .iter()
                .try_fold(0usize, |acc, &d| {
                    acc.checked_mul(10)?.checked_add((d - b'0') as usize)
                })
                .ok_or_else(|| self.error("dimension too large"))?;
            dims.push(dim);
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(c) if c == close => {}
                _ => return Err(self.error("expected ',' or the end of the shape")),
            }
        }
    }

    /// Skips any value of a key this reader does not use, without recursion.
    fn skip_value(&mut self) -> Result<(), String> {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated value")),
                Some(b'\'' | b'"') => {
                    self.string()?;
                }
                Some(b'(' | b'[' | b'{') => {
                    depth += 1;
                    self.pos += 1;
                }
                Some(b')' | b']' | b'}') if depth > 0 => {
                    depth -= 1;
                    self.pos += 1;
                }
                Some(b',' | b'}') if depth == 0 => return Ok(()),
                Some(_) => {
                    self.pos += 1;
                }
            }
            if depth == 0 && matches!(self.peek(), Some(b',' | b'}')) {
                return Ok(());
            }
        }
    }
}

/// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` plus padding.
fn parse_header(bytes: &[u8]) -> Result<Header, String> {
    let mut c = Cursor { s: bytes, pos: 0 };
    let mut dtype = None;
    let mut fortran_order = None;
    let mut shape = None;
    c.expect(b'{')?;
    loop {
        if c.peek() == Some(b'}') {
            c.pos += 1;
            break;
        }
        let key = c.string()?.to_string();
        c.expect(b':')?;
        let duplicate = match key.as_str() {
            "descr" => {
                if c.peek() == Some(b'[') {
                    return Err("structured dtypes are not supported".to_string());
                }
                let descr = c.string()?;
                dtype.replace(NpyDtype::from_descr(descr)?).is_some()
            }
            "fortran_order" => fortran_order.replace(c.boolean()?).is_some(),
            "shape" => shape.replace(c.shape()?).is_some(),
            _ => {
                c.skip_value()?;
                false
            }
        };
        if duplicate {
            return Err(format!("bad .npy header: duplicate key '{key}'"));
        }
        match c.peek() {
            Some(b',') => c.pos += 1,
            Some(b'}') => {}
            _ => return Err(c.error("expected ',' or '}'")),
        }
    }
    if c.peek().is_some() {
        return Err(c.error("unexpected text after the header dict"));
    }
    let missing = |k: &str| format!("bad .npy header: no '{k}' key");
    Ok(Header {
        dtype: dtype.ok_or_else(|| missing("descr"))?,
        fortran_order: fortran_order.ok_or_else(|| missing("fortran_order"))?,
        shape: shape.ok_or_else(|| missing("shape"))?,
    })
}

/// The bytes of a `.npy` file for `array`: a version 1.0 header (2.0 if the header exceeds
/// 64 KiB) padded with spaces and a newline to a multiple of 64 bytes, as numpy does, then the
/// data as is. Use [`NpyArray::new`] or [`write()`] to have the data length checked.
pub fn to_bytes(array: &NpyArray) -> Vec<u8> {
    let dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
        array.dtype.descr(),
        shape_str(&array.shape)
    );
    let (version, prefix_len) = if dict.len() + 1 + 10 + 63 <= 0xffff {
        (1u8, 10)
    } else {
        (2u8, 12)
    };
    let pad = 64 - (prefix_len + dict.len() + 1) % 64;
    let header_len = dict.len() + pad + 1;
    let mut out = Vec::with_capacity(prefix_len + header_len + array.data.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[version, 0]);
    if version == 1 {
        out.extend_from_slice(&(header_len as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header_len as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.resize(out.len() + pad, b' ');
    out.push(b'\n');
    out.extend_from_slice(&array.data);
    out
}

/// Writes `array` as a `.npy` file after checking that its data matches its shape.
pub fn write(path: impl AsRef<Path>, array: &NpyArray) -> Result<(), String> {
    let path = path.as_ref();
    let want = byte_len(array.dtype, &array.shape)?;
    if array.data.len() != want {
        return Err(format!(
            "cannot write {}: {} bytes of data for {} {}, which needs {want}",
            path.display(),
            array.data.len(),
            array.dtype,
            shape_str(&array.shape)
        ));
    }
    std::fs::write(path, to_bytes(array))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
#[path = "npy_tests.rs"]
mod tests;
