//! The generated `src/main.rs`: the `std` command-line runner around `run`.

use super::lib_rs::{ports, Layout, Port};
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
        // .npy has no bfloat16: the runner carries its uint16 bit patterns.
        DType::BF16 => "U16",
    })
}

fn spec(model: &str, p: &Port) -> Result<String> {
    Ok(format!(
        "TensorSpec {{ name: {:?}, dtype: NpyDtype::{}, shape: &{model}::{}_SHAPE }}",
        p.name,
        npy_dtype(p.info.dtype)?,
        screaming(&p.ident)
    ))
}

/// Builds the `std` command-line adapter: `src/main.rs` of crate `name` (layout `Crate`), or
/// `cli.rs` of module `name` in a crate that hosts several models (layout `Module`: it exposes
/// `pub fn main(args)` and uses the crate's `runner` module).
pub fn main_rs(graph: &Graph, name: &str, layout: Layout) -> Result<String> {
    let ident = name.replace('-', "_");
    let model = match layout {
        Layout::Crate => ident.clone(),
        Layout::Module => format!("crate::{ident}"),
    };
    let (inputs, outputs) = ports(graph);
    let in_specs: Vec<String> = inputs.iter().map(|p| spec(&model, p)).collect::<Result<_>>()?;
    let out_specs: Vec<String> = outputs.iter().map(|p| spec(&model, p)).collect::<Result<_>>()?;
    let mut buffers = String::new();
    let mut decode = String::new();
    let mut encode = String::new();
    let mut args = Vec::new();
    for (i, p) in inputs.iter().enumerate() {
        let len = format!("{model}::{}_LEN", screaming(&p.ident));
        buffers.push_str(&format!("let mut {} = buffer::<{}>({len});\n", p.ident, p.info.dtype.rust_type()));
        decode.push_str(&format!("decode(inputs[{i}], &mut {});\n", p.ident));
        args.push(format!("to_array(&{})", p.ident));
    }
    for (i, p) in outputs.iter().enumerate() {
        let len = format!("{model}::{}_LEN", screaming(&p.ident));
        buffers.push_str(&format!("let mut {} = buffer::<{}>({len});\n", p.ident, p.info.dtype.rust_type()));
        encode.push_str(&format!("encode(&{}, outputs[{i}]);\n", p.ident));
        args.push(format!("to_array_mut(&mut {})", p.ident));
    }
    let specs = format!(
        "const SPEC: ModelSpec = ModelSpec {{ name: {:?}, inputs: &[{}], outputs: &[{}] }};",
        graph.name,
        in_specs.join(", "),
        out_specs.join(", ")
    );
    let args = args.join(", ");
    // A model without run-time inputs (all of them constants) decodes nothing.
    let (imported, inputs_param) = if inputs.is_empty() {
        ("buffer, encode, to_array_mut, ModelSpec, TensorSpec", "_inputs")
    } else {
        ("buffer, decode, encode, to_array, to_array_mut, ModelSpec, TensorSpec", "inputs")
    };
    let source = match layout {
        Layout::Crate => format!(
            r#"//! Command-line runner for `{name}`: reads `.npy` inputs, runs the model, writes `.npy` outputs.
//! Built only with the `std` feature. `--help` lists the options; `--bench N` times N runs.

mod runner;

use runner::cli::{{{imported}}};
use runner::npy::NpyDtype;
use std::process::ExitCode;

{specs}

fn main() -> ExitCode {{
    __comment!("The arena lives on this thread's stack, so give the thread room for it.");
    let stack = 2 * {model}::ARENA_BYTES + (16 << 20);
    let worker = std::thread::Builder::new().stack_size(stack).spawn(run_model);
    match worker.map(|w| w.join()) {{
        Ok(Ok(code)) => code,
        _ => ExitCode::from(2),
    }}
}}

fn run_model() -> ExitCode {{
    let mut arena = {model}::Arena::new();
    {buffers}
    runner::cli::main(&SPEC, &mut |{inputs_param}, outputs| {{
        {decode}
        {model}::run(&mut arena, {args});
        {encode}
    }})
}}
"#,
            name = graph.name,
        ),
        Layout::Module => format!(
            r#"//! Command-line adapter for the model module `{ident}` (`{name}`): `.npy` inputs and outputs.

use crate::runner::cli::{{{imported}}};
use crate::runner::npy::NpyDtype;
use std::process::ExitCode;

{specs}

/// Runs the model on command-line arguments (without the program name).
pub fn main(args: &[String]) -> ExitCode {{
    let args = args.to_vec();
    __comment!("The arena lives on this thread's stack, so give the thread room for it.");
    let stack = 2 * {model}::ARENA_BYTES + (16 << 20);
    let worker = std::thread::Builder::new().stack_size(stack).spawn(move || run_model(&args));
    match worker.map(|w| w.join()) {{
        Ok(Ok(code)) => code,
        _ => ExitCode::from(2),
    }}
}}

fn run_model(args: &[String]) -> ExitCode {{
    let mut arena = {model}::Arena::new();
    {buffers}
    crate::runner::cli::main_with_args(&SPEC, args, &mut |{inputs_param}, outputs| {{
        {decode}
        {model}::run(&mut arena, {args});
        {encode}
    }})
}}
"#,
            name = graph.name,
        ),
    };
    let tokens: proc_macro2::TokenStream =
        source.parse().map_err(|e| Error::internal(format!("generated main.rs does not tokenize: {e}")))?;
    super::print(tokens)
}
