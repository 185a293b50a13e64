//! Unit tests for `runner.rs`.

use super::*;

const ONE: ModelSpec = ModelSpec {
    name: "one",
    inputs: &[TensorSpec {
        name: "x",
        dtype: NpyDtype::F32,
        shape: &[2, 2],
    }],
    outputs: &[TensorSpec {
        name: "y",
        dtype: NpyDtype::F32,
        shape: &[2, 2],
    }],
};

const TWO: ModelSpec = ModelSpec {
    name: "two",
    inputs: &[
        TensorSpec {
            name: "a:0",
            dtype: NpyDtype::F32,
            shape: &[3],
        },
        TensorSpec {
            name: "b=c",
            dtype: NpyDtype::I64,
            shape: &[],
        },
    ],
    outputs: &[
        TensorSpec {
            name: "out/sum:0",
            dtype: NpyDtype::F32,
            shape: &[3],
        },
        TensorSpec {
            name: "out:sum/0",
            dtype: NpyDtype::Bool,
            shape: &[3],
        },
        TensorSpec {
            name: "",
            dtype: NpyDtype::I64,
            shape: &[0],
        },
    ],
};

fn args(s: &[&str]) -> Vec<String> {
    s.iter().map(|a| a.to_string()).collect()
}

fn options(spec: &ModelSpec, a: &[&str]) -> Result<Options, String> {
    match parse_args(spec, &args(a))? {
        Command::Run(o) => Ok(o),
        Command::Help => Err("help".to_string()),
    }
}

#[test]
fn parses_named_and_bare_inputs() {
    let o = options(&ONE, &["--input", "x.npy"]).unwrap();
    assert_eq!(
        o,
        Options {
            inputs: vec![PathBuf::from("x.npy")],
            output_dir: None,
            bench: None,
            print: false
        }
    );
    let o = options(
        &ONE,
        &[
            "--input=x=dir/x=1.npy",
            "--bench",
            "5",
            "--output-dir=out",
            "--print",
        ],
    )
    .unwrap();
    assert_eq!(o.inputs, vec![PathBuf::from("dir/x=1.npy")]);
    assert_eq!(
        (o.bench, o.output_dir, o.print),
        (Some(5), Some(PathBuf::from("out")), true)
    );
    // A bare path containing '=' for a single-input model.
    assert_eq!(
        options(&ONE, &["--input", "k=v.npy"]).unwrap().inputs,
        vec![PathBuf::from("k=v.npy")]
    );

    let o = options(&TWO, &["--input", "b=c=two.npy", "--input", "a:0=one.npy"]).unwrap();
    assert_eq!(
        o.inputs,
        vec![PathBuf::from("one.npy"), PathBuf::from("two.npy")]
    );
}

#[test]
fn argument_errors() {
    let e = |spec: &ModelSpec, a: &[&str]| options(spec, a).unwrap_err();
    assert_eq!(
        e(&TWO, &["--input", "a:0=one.npy"]),
        "missing input 'b=c' (give --input b=c=PATH.npy)"
    );
    assert!(e(&TWO, &["--input", "one.npy"]).contains("needs NAME=PATH.npy"));
    assert!(
        e(&TWO, &["--input", "zz=one.npy"]).contains("unknown input 'zz' (inputs: a:0, b=c)")
    );
    assert!(e(&ONE, &["--input", "x.npy", "--input", "x=y.npy"]).contains("given twice"));
    assert!(e(&ONE, &["--input"]).contains("--input needs a value"));
    assert!(e(&ONE, &["--input", "x.npy", "--bench", "0"]).contains("positive"));
    assert!(e(&ONE, &["--input", "x.npy", "--bench", "ten"]).contains("'ten'"));
    assert!(e(&ONE, &["--input", "x.npy", "--frobnicate"])
        .contains("unknown argument '--frobnicate'"));
    assert!(e(&ONE, &["--input", "x.npy", "--print=yes"]).contains("takes no value"));
    assert!(e(&ONE, &[]).contains("missing input 'x'"));
    assert_eq!(
        parse_args(&ONE, &args(&["--bogus-but-later", "--help"])).unwrap_err(),
        "unknown argument '--bogus-but-later' (see --help)"
    );
    assert_eq!(parse_args(&ONE, &args(&["-h"])), Ok(Command::Help));
    assert_eq!(
        parse_args(&TWO, &args(&["--input", "a:0=x", "--help"])),
        Ok(Command::Help)
    );
}

#[test]
fn usage_lists_the_signature() {
    let u = usage(&TWO);
    assert!(u.starts_with("usage: two --input NAME=PATH.npy"));
    assert!(u.contains("  a:0: f32 [3]\n"));
    assert!(u.contains("  b=c: i64 []\n"));
    assert!(u.contains("  out/sum:0: f32 [3]  -> DIR/out_sum_0.npy\n"));
}

#[test]
fn output_names_are_sanitized_and_unique() {
    assert_eq!(sanitize("a/b:c d.é-_9"), "a_b_c_d._-_9");
    assert_eq!(
        output_file_names(&TWO),
        vec!["out_sum_0.npy", "out_sum_0_1.npy", "output.npy"]
    );
    assert_eq!(sanitize("../x"), ".._x");
}

#[test]
fn bench_statistics() {
    assert_eq!(
        bench_line(&mut [3.0, 1.0, 2.0]),
        "median_us=2.000 p90_us=3.000 runs=3"
    );
    assert_eq!(
        bench_line(&mut [4.0, 1.0, 2.0, 3.0]),
        "median_us=2.500 p90_us=4.000 runs=4"
    );
    let mut many: Vec<f64> = (1..=100).rev().map(f64::from).collect();
    assert_eq!(
        bench_line(&mut many),
        "median_us=50.500 p90_us=90.000 runs=100"
    );
    assert_eq!(
        bench_line(&mut [7.25]),
        "median_us=7.250 p90_us=7.250 runs=1"
    );
}

#[test]
fn summaries() {
    let f = NpyArray::from_f32(&[1, 4], &[0.5, -1.0, 2.25, 0.0]);
    assert_eq!(
        summary("logits", f.dtype, &f.shape, &f.data),
        "logits: f32 [1, 4]\n  values: [0.5, -1, 2.25, 0]\n  min=-1 max=2.25 mean=0.4375\n"
    );
    let v: Vec<i64> = (0..20).map(|i| i - 5).collect();
    let a = NpyArray::from_i64(&[20], &v);
    assert_eq!(
        summary("idx", a.dtype, &a.shape, &a.data),
        "idx: i64 [20]\n  values: [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] (first 16 of 20)\n  \
         min=-5 max=14 mean=4.5\n"
    );
    let n = NpyArray::from_f32(&[], &[f32::NAN]);
    assert_eq!(
        summary("n", n.dtype, &n.shape, &n.data),
        "n: f32 []\n  values: [NaN]\n  min=nan max=nan mean=nan nan=1\n"
    );
    let m = NpyArray::from_f64(&[3], &[f64::NAN, 0.1, -0.2]);
    assert!(summary("m", m.dtype, &m.shape, &m.data)
        .ends_with("min=-0.2 max=0.1 mean=-0.05 nan=1\n"));
    let b = NpyArray::from_bool(&[2], &[true, false]);
    assert!(summary("b", b.dtype, &b.shape, &b.data)
        .contains("values: [true, false]\n  min=false max=true mean=0.5"));
    let h = NpyArray::from_f16_bits(&[2], &[0x3c00, 0xc400]);
    assert!(summary("h", h.dtype, &h.shape, &h.data)
        .contains("values: [1, -4]\n  min=-4 max=1 mean=-1.5"));
    assert_eq!(
        summary("e", NpyDtype::U8, &[0, 2], &[]),
        "e: u8 [0, 2]\n  (no elements)\n"
    );
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("onnxc-runner-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// y = x + 1, checking that the buffers arrive aligned and sized.
fn add_one(ins: &[&[u8]], outs: &mut [&mut [u8]]) {
    assert_eq!((ins.len(), outs.len()), (1, 1));
    assert_eq!(ins[0].as_ptr().align_offset(64), 0);
    assert_eq!(outs[0].as_ptr().align_offset(64), 0);
    for (o, i) in outs[0].chunks_exact_mut(4).zip(ins[0].chunks_exact(4)) {
        let v = f32::from_le_bytes([i[0], i[1], i[2], i[3]]) + 1.0;
        o.copy_from_slice(&v.to_le_bytes());
    }
}

#[test]
fn runs_end_to_end() {
    let dir = temp_dir("e2e");
    let input = dir.join("x.npy");
    npy::write(&input, &NpyArray::from_f32(&[2, 2], &[1.0, 2.0, 3.0, 4.0])).unwrap();
    let out_dir = dir.join("out");

    // Write outputs, no printing.
    let o = options(
        &ONE,
        &[
            "--input",
            input.to_str().unwrap(),
            "--output-dir",
            out_dir.to_str().unwrap(),
        ],
    )
    .unwrap();
    let mut text = Vec::new();
    run(&ONE, &o, &mut add_one, &mut text).unwrap();
    assert!(text.is_empty());
    let y = npy::read(out_dir.join("y.npy")).unwrap();
    assert_eq!(
        (y.shape.clone(), y.to_f32().unwrap()),
        (vec![2, 2], vec![2.0, 3.0, 4.0, 5.0])
    );

    // Default: print.
    let o = options(&ONE, &["--input", input.to_str().unwrap()]).unwrap();
    let mut text = Vec::new();
    run(&ONE, &o, &mut add_one, &mut text).unwrap();
    assert_eq!(
        String::from_utf8(text).unwrap(),
        "y: f32 [2, 2]\n  values: [2, 3, 4, 5]\n  min=2 max=5 mean=3.5\n"
    );

    // Bench: 10 warm-up runs plus N.
    let mut calls = 0;
    let mut counting = |i: &[&[u8]], o: &mut [&mut [u8]]| {
        calls += 1;
        add_one(i, o)
    };
    let o = options(&ONE, &["--input", input.to_str().unwrap(), "--bench", "7"]).unwrap();
    let mut text = Vec::new();
    run(&ONE, &o, &mut counting, &mut text).unwrap();
    assert_eq!(calls, 17);
    let line = String::from_utf8(text).unwrap();
    assert!(line.starts_with("median_us=") && line.contains(" runs=7"), "{line}");
    assert!(line.contains(" p90_us="));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn input_errors() {
    let dir = temp_dir("errors");
    let f64_file = dir.join("f64.npy");
    npy::write(&f64_file, &NpyArray::from_f64(&[2, 2], &[0.0; 4])).unwrap();
    let wrong_shape = dir.join("shape.npy");
    npy::write(&wrong_shape, &NpyArray::from_f32(&[4], &[0.0; 4])).unwrap();
    let garbage = dir.join("garbage.npy");
    std::fs::write(&garbage, b"not numpy").unwrap();
    let err = |path: &Path| {
        let o = options(&ONE, &["--input", path.to_str().unwrap()]).unwrap();
        run(
            &ONE,
            &o,
            &mut |_, _| panic!("must not run"),
            &mut Vec::new(),
        )
        .unwrap_err()
    };
    assert!(err(&f64_file).contains("expected f32 [2, 2], got f64 [2, 2]"));
    assert!(err(&wrong_shape).contains("expected f32 [2, 2], got f32 [4]"));
    assert!(err(&garbage).contains("bad magic"));
    assert!(err(&dir.join("missing.npy")).starts_with("input 'x': cannot read"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn aligned_buffers() {
    for len in [0, 1, 63, 64, 1000] {
        let mut b = AlignedBuf::zeroed(len);
        assert_eq!(b.bytes().len(), len);
        assert!(b.bytes().iter().all(|&x| x == 0));
        assert_eq!(b.bytes_mut().as_ptr().align_offset(64), 0);
    }
}
