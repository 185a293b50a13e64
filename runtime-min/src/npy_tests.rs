//! Unit tests for `npy.rs`.

use super::*;
use std::vec;

/// A file as numpy writes it: magic, version, length, the dict padded to 64 bytes.
fn fixture(dict: &str, growth_spaces: usize, data: &[u8]) -> Vec<u8> {
    let mut header = String::from(dict);
    header.push_str(&" ".repeat(growth_spaces));
    let pad = 64 - (10 + header.len() + 1) % 64;
    header.push_str(&" ".repeat(pad));
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

#[test]
fn numpy_zeros_2x3_f32() {
    let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    // numpy < 1.23 (no growth spaces) and >= 1.23 (21 - len("2") spaces).
    for growth in [0, 20] {
        let bytes = fixture(dict, growth, &[0u8; 24]);
        assert_eq!(bytes.len(), 128 + 24);
        let a = parse(&bytes).unwrap();
        assert_eq!(a.dtype, NpyDtype::F32);
        assert_eq!(a.shape, vec![2, 3]);
        assert_eq!(a.to_f32().unwrap(), vec![0.0; 6]);
    }
    // What this module writes is byte-identical to the older numpy layout.
    let ours = to_bytes(&NpyArray::from_f32(&[2, 3], &[0.0; 6]));
    assert_eq!(ours, fixture(dict, 0, &[0u8; 24]));
}

#[test]
fn scalar_and_vector_shapes() {
    let scalar = fixture(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
        0,
        &2.5f64.to_le_bytes(),
    );
    let a = parse(&scalar).unwrap();
    assert_eq!((a.dtype, a.shape.len(), a.len()), (NpyDtype::F64, 0, 1));
    assert_eq!(a.to_f64().unwrap(), vec![2.5]);
    assert_eq!(to_bytes(&a), scalar);

    let data = [1u8, 0, 7, 1, 0];
    let vector = fixture(
        "{'descr': '|b1', 'fortran_order': False, 'shape': (5,), }",
        20,
        &data,
    );
    let a = parse(&vector).unwrap();
    assert_eq!(a.shape, vec![5]);
    // Nonzero bytes come back as 1.
    assert_eq!(a.data, vec![1, 0, 1, 1, 0]);
    assert_eq!(a.to_bool().unwrap(), vec![true, false, true, true, false]);

    let empty = NpyArray::from_i64(&[0, 3], &[]);
    assert_eq!(parse(&to_bytes(&empty)).unwrap(), empty);
}

#[test]
fn other_header_spellings() {
    // Different key order, double quotes, Python 2 longs, version 2.0 and 3.0 framing.
    let dict = "{\"shape\": (3L,), \"fortran_order\": False, \"descr\": \"<i8\"}";
    let data: Vec<u8> = [1i64, -2, 3].iter().flat_map(|v| v.to_le_bytes()).collect();
    for version in [2u8, 3] {
        let mut bytes = b"\x93NUMPY".to_vec();
        bytes.extend_from_slice(&[version, 0]);
        bytes.extend_from_slice(&(dict.len() as u32 + 1).to_le_bytes());
        bytes.extend_from_slice(dict.as_bytes());
        bytes.push(b'\n');
        bytes.extend_from_slice(&data);
        assert_eq!(parse(&bytes).unwrap().to_i64().unwrap(), vec![1, -2, 3]);
    }
    // Unknown extra keys are skipped.
    let bytes = fixture(
        "{'descr': '<u2', 'extra': {'a': (1, [2])}, 'fortran_order': False, 'shape': (1,)}",
        0,
        &[5, 0],
    );
    assert_eq!(parse(&bytes).unwrap().to_u16().unwrap(), vec![5]);
}

#[test]
fn round_trip_every_dtype() {
    let shape = [2, 3];
    let arrays = [
        NpyArray::from_f32(
            &shape,
            &[0.0, -1.5, f32::INFINITY, f32::MIN_POSITIVE, 3.25, -0.0],
        ),
        NpyArray::from_f64(&shape, &[0.0, -1.5, f64::MAX, 1e-300, 3.25, -0.0]),
        NpyArray::from_f16_bits(&shape, &[0x3c00, 0xc000, 0x7c00, 0x0001, 0x3555, 0x8000]),
        NpyArray::from_i8(&shape, &[i8::MIN, -1, 0, 1, 2, i8::MAX]),
        NpyArray::from_i16(&shape, &[i16::MIN, -1, 0, 1, 2, i16::MAX]),
        NpyArray::from_i32(&shape, &[i32::MIN, -1, 0, 1, 2, i32::MAX]),
        NpyArray::from_i64(&shape, &[i64::MIN, -1, 0, 1, 2, i64::MAX]),
        NpyArray::from_u8(&shape, &[0, 1, 2, 3, 4, u8::MAX]),
        NpyArray::from_u16(&shape, &[0, 1, 2, 3, 4, u16::MAX]),
        NpyArray::from_u32(&shape, &[0, 1, 2, 3, 4, u32::MAX]),
        NpyArray::from_u64(&shape, &[0, 1, 2, 3, 4, u64::MAX]),
        NpyArray::from_bool(&shape, &[true, false, true, true, false, false]),
    ];
    let dir = std::env::temp_dir().join(format!("onnxc-npy-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (a, dtype) in arrays.iter().zip(NpyDtype::ALL) {
        assert_eq!(a.dtype, dtype);
        assert_eq!(a.data.len(), 6 * dtype.size());
        assert_eq!(NpyDtype::from_descr(dtype.descr()), Ok(dtype));
        let bytes = to_bytes(a);
        assert_eq!(bytes.len() % 64, a.data.len() % 64);
        assert_eq!(&parse(&bytes).unwrap(), a);
        let path = dir.join(format!("{dtype}.npy"));
        write(&path, a).unwrap();
        assert_eq!(&read(&path).unwrap(), a);
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(arrays[0].to_f32().unwrap()[1], -1.5);
    assert_eq!(arrays[2].to_f16_bits().unwrap()[0], 0x3c00);
    assert_eq!(
        arrays[2].to_f64_lossy()[..4],
        [1.0, -2.0, f64::INFINITY, 2f64.powi(-24)]
    );
    assert!((arrays[2].to_f64_lossy()[4] - 1.0 / 3.0).abs() < 1e-3);
    assert_eq!(
        arrays[11].to_f64_lossy(),
        vec![1.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    );
    assert!(arrays[0].to_f64().is_err());
    assert!(arrays[3].to_u8().is_err());
}

#[test]
fn rejects_bad_files_with_messages() {
    let ok = to_bytes(&NpyArray::from_f32(&[2, 3], &[1.0; 6]));
    let err = |b: &[u8]| parse(b).unwrap_err();
    // Every truncation fails cleanly, never panics.
    for n in 0..ok.len() {
        let e = err(&ok[..n]);
        assert!(e.contains("magic") || e.contains("truncated"), "{n}: {e}");
    }
    let mut long = ok.clone();
    long.push(0);
    assert!(err(&long).contains("trailing"));

    let case = |dict: &str, data: &[u8]| err(&fixture(dict, 0, data));
    assert!(case(
        "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }",
        &[0; 8]
    )
    .contains("fortran"));
    assert!(case(
        "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
        &[0; 8]
    )
    .contains("big-endian"));
    assert!(case(
        "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }",
        &[0; 16]
    )
    .contains("'<c8'"));
    assert!(case(
        "{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }",
        &[0; 24]
    )
    .contains("unsupported"));
    assert!(case(
        "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }",
        &[0; 8]
    )
    .contains("structured"));
    assert!(case(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
        &[0; 8]
    )
    .contains("truncated data"));
    assert!(case("{'descr': '<f4', 'fortran_order': False, }", &[0; 8]).contains("'shape'"));
    assert!(case(
        "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}",
        &[0; 8]
    )
    .contains("duplicate"));
    assert!(case(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }",
        &[0; 8]
    )
    .contains("dimension"));
    assert!(case(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}",
        &[]
    )
    .contains("too large"));
    assert!(case(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}",
        &[]
    )
    .contains("too large"));
    assert!(case(
        "{'descr': '<f4', 'fortran_order': maybe, 'shape': (2,)}",
        &[0; 8]
    )
    .contains("True or False"));
    assert!(case(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x",
        &[0; 8]
    )
    .contains("after"));
    assert!(
        case("{'descr': '<f4', 'x': ((((((((, 'shape': (2,)}", &[0; 8])
            .contains("unterminated")
    );

    let mut v9 = ok.clone();
    v9[6] = 9;
    assert!(err(&v9).contains("version 9.0"));
    let mut huge_len = ok.clone();
    huge_len[8] = 0xff;
    huge_len[9] = 0xff;
    assert!(err(&huge_len).contains("truncated .npy header"));
    assert!(read("/nonexistent/x.npy")
        .unwrap_err()
        .contains("/nonexistent/x.npy"));

    let bad = NpyArray {
        dtype: NpyDtype::F32,
        shape: vec![2],
        data: vec![0; 4],
    };
    assert!(write(std::env::temp_dir().join("never-written.npy"), &bad).is_err());
    assert!(NpyArray::new(NpyDtype::F32, vec![2], vec![0; 4]).is_err());
    assert!(NpyArray::new(NpyDtype::F32, vec![2], vec![0; 8]).is_ok());
}

#[test]
fn fuzzed_headers_never_panic() {
    let base = to_bytes(&NpyArray::from_i32(&[2, 2], &[1, 2, 3, 4]));
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..20_000 {
        let mut b = base.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let i = (state % b.len() as u64) as usize;
            b[i] = (state >> 32) as u8;
        }
        let _ = parse(&b);
    }
}

#[test]
fn dtype_strings() {
    assert_eq!(NpyDtype::from_descr("|u1"), Ok(NpyDtype::U8));
    assert_eq!(NpyDtype::from_descr("<u1"), Ok(NpyDtype::U8));
    assert_eq!(NpyDtype::from_descr("<b1"), Ok(NpyDtype::Bool));
    assert!(NpyDtype::from_descr("|f4").is_err());
    assert!(NpyDtype::from_descr("=f4").is_err());
    assert!(NpyDtype::from_descr("").is_err());
    assert!(NpyDtype::from_descr("<").is_err());
    assert!(NpyDtype::from_descr("<é").is_err());
    assert_eq!(shape_str(&[]), "()");
    assert_eq!(shape_str(&[5]), "(5,)");
    assert_eq!(shape_str(&[2, 3]), "(2, 3)");
}
