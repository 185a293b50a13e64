//! The generated `src/main.rs`: the `std` command-line runner around `run`.

use super::lib_rs::{ports, Port};
use super::names::screaming;
use crate::error::{Error, Result};
use crate::ir::{DType, Graph};

fn npy_dtype(d: DType) -> Result<&'static str> {
    Ok(match d {
        DType::F32 => "F32",
        DType::F64 => "F64",
        DType::F16 => "F16",
        DType::I8 => "I8",
        DType::I16 => "I16",
        DType::I32 => "I32",
        DType::I64 => "I64",
        DType::U8 => "U8",
        DType::U16 => "U16",
        DType::U32 => "U32",
        DType::U64 => "U64",
        DType::Bool => "Bool",
        DType::BF16 => return Err(Error::unsupported("bfloat16 model inputs/outputs: the .npy runner cannot carry them")),
    })
}

fn spec(krate: &str, p: &Port) -> Result<String> {
    Ok(format!(
        "TensorSpec {{ name: {:?}, dtype: NpyDtype::{}, shape: &{krate}::{}_SHAPE }}",
        p.name,
        npy_dtype(p.info.dtype)?,
        screaming(&p.ident)
    ))
}

/// Builds `main.rs` for crate `crate_name`.
pub fn main_rs(graph: &Graph, crate_name: &str) -> Result<String> {
    let krate = crate_name.replace('-', "_");
    let (inputs, outputs) = ports(graph);
    let in_specs: Vec<String> = inputs.iter().map(|p| spec(&krate, p)).collect::<Result<_>>()?;
    let out_specs: Vec<String> = outputs.iter().map(|p| spec(&krate, p)).collect::<Result<_>>()?;
    let mut buffers = String::new();
    let mut decode = String::new();
    let mut encode = String::new();
    let mut args = Vec::new();
    for (i, p) in inputs.iter().enumerate() {
        let len = format!("{krate}::{}_LEN", screaming(&p.ident));
        buffers.push_str(&format!("let mut {} = vec![{}; {len}].into_boxed_slice();\n", p.ident, zero(p.info.dtype)));
        decode.push_str(&format!("decode(inputs[{i}], &mut {});\n", p.ident));
        args.push(format!("to_array(&{})", p.ident));
    }
    for (i, p) in outputs.iter().enumerate() {
        let len = format!("{krate}::{}_LEN", screaming(&p.ident));
        buffers.push_str(&format!("let mut {} = vec![{}; {len}].into_boxed_slice();\n", p.ident, zero(p.info.dtype)));
        encode.push_str(&format!("encode(&{}, outputs[{i}]);\n", p.ident));
        args.push(format!("to_array_mut(&mut {})", p.ident));
    }
    let source = format!(
        r#"//! Command-line runner for `{name}`: reads `.npy` inputs, runs the model, writes `.npy` outputs.
//! Built only with the `std` feature. `--help` lists the options; `--bench N` times N runs.

mod runner;

use runner::npy::NpyDtype;
use runner::cli::{{ModelSpec, TensorSpec}};
use std::process::ExitCode;

const SPEC: ModelSpec = ModelSpec {{
    name: {name:?},
    inputs: &[{in_specs}],
    outputs: &[{out_specs}],
}};

fn main() -> ExitCode {{
    __comment!("The arena lives on this thread's stack, so give the thread room for it.");
    let stack = 2 * {krate}::ARENA_BYTES + (16 << 20);
    let worker = std::thread::Builder::new().stack_size(stack).spawn(run_model);
    match worker.map(|w| w.join()) {{
        Ok(Ok(code)) => code,
        _ => ExitCode::from(2),
    }}
}}

fn run_model() -> ExitCode {{
    let mut arena = {krate}::Arena::new();
    {buffers}
    runner::cli::main(&SPEC, &mut |inputs, outputs| {{
        {decode}
        {krate}::run(&mut arena, {args});
        {encode}
    }})
}}

/// Little-endian element conversion for the model's tensor types.
trait Element: Copy {{
    const SIZE: usize;
    fn read(bytes: &[u8]) -> Self;
    fn write(self, bytes: &mut [u8]);
}}

macro_rules! element {{
    ($($t:ty),*) => {{ $(impl Element for $t {{
        const SIZE: usize = std::mem::size_of::<$t>();
        fn read(bytes: &[u8]) -> Self {{
            <$t>::from_le_bytes(bytes.try_into().unwrap_or_default())
        }}
        fn write(self, bytes: &mut [u8]) {{
            bytes.copy_from_slice(&self.to_le_bytes());
        }}
    }})* }};
}}
element!(f32, f64, i8, i16, i32, i64, u8, u16, u32, u64);

fn decode<T: Element>(bytes: &[u8], values: &mut [T]) {{
    for (v, b) in values.iter_mut().zip(bytes.chunks_exact(T::SIZE)) {{
        *v = T::read(b);
    }}
}}

fn encode<T: Element>(values: &[T], bytes: &mut [u8]) {{
    for (v, b) in values.iter().zip(bytes.chunks_exact_mut(T::SIZE)) {{
        v.write(b);
    }}
}}

fn to_array<T, const N: usize>(values: &[T]) -> &[T; N] {{
    values.try_into().expect("buffer sized from the model's constants")
}}

fn to_array_mut<T, const N: usize>(values: &mut [T]) -> &mut [T; N] {{
    values.try_into().expect("buffer sized from the model's constants")
}}
"#,
        name = graph.name,
        in_specs = in_specs.join(", "),
        out_specs = out_specs.join(", "),
        args = args.join(", "),
    );
    let tokens: proc_macro2::TokenStream =
        source.parse().map_err(|e| Error::internal(format!("generated main.rs does not tokenize: {e}")))?;
    super::print(tokens)
}

fn zero(d: DType) -> &'static str {
    match d {
        DType::F32 => "0f32",
        DType::F64 => "0f64",
        DType::I8 => "0i8",
        DType::I16 => "0i16",
        DType::I32 => "0i32",
        DType::I64 => "0i64",
        DType::U8 | DType::Bool => "0u8",
        DType::U16 | DType::F16 | DType::BF16 => "0u16",
        DType::U32 => "0u32",
        DType::U64 => "0u64",
    }
}
