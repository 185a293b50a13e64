//! The `onnxc` command line.

use clap::{Parser, Subcommand, ValueEnum};
use onnxc::driver::{self, CompileOptions};
use onnxc::error::{Error, Result};
use onnxc::limits;
use onnxc::onnx::ImportOptions;
use onnxc::target::Target;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// onnxc: compiles ONNX models into standalone no_std Rust crates.
#[derive(Parser)]
#[command(name = "onnxc", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a model into a crate.
    Compile {
        model: PathBuf,
        /// Target to generate code for (see `onnxc targets`).
        #[arg(long, default_value = "generic")]
        target: String,
        /// Output folder for the crate.
        #[arg(short, long)]
        output: PathBuf,
        /// Cargo package name (default: the model file's name).
        #[arg(long)]
        name: Option<String>,
        /// Leave out the empty `[workspace]` table, to add the crate to your own workspace.
        #[arg(long)]
        in_workspace: bool,
        /// Write a module (mod.rs, cli.rs, weights.bin) for a crate that hosts several models
        /// and provides `kernels`, `rt` and `runner`, instead of a crate; --name names it.
        #[arg(long)]
        module: bool,
        #[command(flatten)]
        import: ImportArgs,
    },
    /// Show the graph (after import or after any pass) and the arena plan.
    Inspect {
        model: PathBuf,
        /// Stop after this pass (`import` for the graph as imported; see --list-passes).
        #[arg(long)]
        after: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Print the arena plan (offset, size, live range per tensor) and its lower bound.
        #[arg(long)]
        plan: bool,
        /// List the passes in pipeline order.
        #[arg(long)]
        list_passes: bool,
        #[arg(long, default_value = "generic")]
        target: String,
        #[command(flatten)]
        import: ImportArgs,
    },
    /// Run a model with the reference evaluator (no code generation).
    Run {
        model: PathBuf,
        /// An input as NAME=FILE.npy (repeat for each input).
        #[arg(long = "input", value_name = "NAME=FILE")]
        inputs: Vec<String>,
        /// Write each output to DIR/<name>.npy (otherwise print them).
        #[arg(long)]
        output_dir: Option<PathBuf>,
        #[command(flatten)]
        import: ImportArgs,
    },
    /// List the targets.
    Targets,
    /// List the supported operators: op, first and last default-domain opset, tab-separated.
    Ops,
}

#[derive(clap::Args)]
struct ImportArgs {
    /// Bind a symbolic input dimension, as NAME=VALUE (repeatable).
    #[arg(long = "dim", value_name = "NAME=VALUE")]
    dims: Vec<String>,
    /// Largest single tensor (initializer, constant, input or intermediate) [default: 1GiB].
    #[arg(long, value_name = "SIZE")]
    max_tensor_bytes: Option<String>,
    /// Largest total of initializers and constants [default: 4GiB].
    #[arg(long, value_name = "SIZE")]
    max_weight_bytes: Option<String>,
    /// Largest activation arena [default: 1GiB].
    #[arg(long, value_name = "SIZE")]
    max_arena_bytes: Option<String>,
    /// Most nodes (and, separately, initializers) in the graph [default: 1000000].
    #[arg(long, value_name = "COUNT")]
    max_nodes: Option<String>,
    /// Most memory decoding the file may take, as a multiple of its size plus 16 MiB [default: 16].
    #[arg(long, value_name = "FACTOR")]
    max_decode_expansion: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Dot,
    Json,
}

impl ImportArgs {
    fn options(&self) -> Result<ImportOptions> {
        let mut opts = ImportOptions::default();
        let size = |flag: &str, value: &Option<String>, field: &mut usize| -> Result<()> {
            if let Some(v) = value {
                *field = limits::parse_size(v).map_err(|e| e.context(flag))?;
            }
            Ok(())
        };
        let l = &mut opts.limits;
        size("--max-tensor-bytes", &self.max_tensor_bytes, &mut l.max_tensor_bytes)?;
        size("--max-weight-bytes", &self.max_weight_bytes, &mut l.max_total_weight_bytes)?;
        size("--max-arena-bytes", &self.max_arena_bytes, &mut l.max_arena_bytes)?;
        for (flag, value, field) in [
            ("--max-nodes", &self.max_nodes, &mut l.max_nodes),
            ("--max-decode-expansion", &self.max_decode_expansion, &mut l.max_decode_expansion),
        ] {
            if let Some(v) = value {
                *field = limits::parse_count(v).map_err(|e| e.context(flag))?;
            }
        }
        for d in &self.dims {
            let (name, value) = d
                .split_once('=')
                .ok_or_else(|| Error::invalid(format!("--dim '{d}' must be NAME=VALUE")))?;
            let value: usize = value.parse().map_err(|_| Error::invalid(format!("--dim '{d}': '{value}' is not a size")))?;
            opts.dims.insert(name.to_string(), value);
        }
        Ok(opts)
    }
}

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("error: internal error (a bug in onnxc, please report it): {}{at}", msg.replace('\n', "; "));
    }));
    let cli = Cli::parse();
    match std::panic::catch_unwind(|| execute(cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(_) => ExitCode::from(2),
    }
}

fn execute(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Compile { model, target, output, name, in_workspace, module, import } => {
            let mut flags = format!("--target {target}");
            for d in &import.dims {
                flags.push_str(&format!(" --dim {d}"));
            }
            if let Some(n) = &name {
                flags.push_str(&format!(" --name {n}"));
            }
            if in_workspace {
                flags.push_str(" --in-workspace");
            }
            if module {
                flags.push_str(" --module");
            }
            let opts = CompileOptions {
                target: Target::named(&target)?,
                import: import.options()?,
                crate_name: name,
                standalone_workspace: !in_workspace,
                layout: if module { onnxc::codegen::Layout::Module } else { onnxc::codegen::Layout::Crate },
                flags,
            };
            let compiled = driver::compile(&model, &opts)?;
            onnxc::codegen::write_crate(&output, &compiled.files)?;
            let plan = &compiled.plan;
            println!(
                "wrote {} ({} layers, arena {} B (lower bound {} B), weights {} B)",
                output.display(),
                plan.steps.len(),
                plan.arena_bytes,
                plan.lower_bound,
                plan.weights.bytes.len()
            );
            Ok(())
        }
        Command::Inspect { model, after, format, plan, list_passes, target, import } => {
            if list_passes {
                println!("import");
                for p in onnxc::passes::pass_names() {
                    println!("{p}");
                }
                return Ok(());
            }
            let target = Target::named(&target)?;
            let options = import.options()?;
            let graph = driver::load_and_optimize(&model, &options, &target, after.as_deref())?;
            if plan {
                let planned = onnxc::plan::plan_with_limits(&graph, &options.limits)?;
                print!("{}", onnxc::codegen::report::arena_table(&planned));
                return Ok(());
            }
            let text = match format {
                Format::Text => onnxc::ir::text::to_text(&graph),
                Format::Dot => onnxc::ir::dot::to_dot(&graph),
                Format::Json => onnxc::ir::json::to_json(&graph),
            };
            print!("{text}");
            Ok(())
        }
        Command::Run { model, inputs, output_dir, import } => {
            let graph = driver::load_and_optimize(&model, &import.options()?, &Target::generic(), None)?;
            let mut given = BTreeMap::new();
            for spec in &inputs {
                let (name, path) = match spec.split_once('=') {
                    Some((n, p)) => (n.to_string(), PathBuf::from(p)),
                    None if graph.inputs.len() == 1 => (graph.node(graph.inputs[0]).outputs[0].name.clone(), PathBuf::from(spec)),
                    None => return Err(Error::invalid(format!("--input '{spec}' must be NAME=FILE.npy"))),
                };
                let mut tensor = onnxc::npy_io::read_tensor(&path)?;
                // .npy has no bfloat16: a bfloat16 input arrives as its uint16 bit patterns.
                let declared = graph.inputs.iter().map(|&n| &graph.node(n).outputs[0]).find(|v| v.name == name);
                if let (Some(v), onnxc::ir::Data::U16(bits)) = (declared, &tensor.data) {
                    if v.dtype == onnxc::ir::DType::BF16 {
                        tensor = onnxc::ir::Tensor::new(tensor.shape.clone(), onnxc::ir::Data::BF16(bits.clone()))?;
                    }
                }
                given.insert(name, tensor);
            }
            let outputs = onnxc::eval::run_graph(&graph, &given, &Default::default())?;
            for (name, tensor) in &outputs {
                match &output_dir {
                    Some(dir) => {
                        std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("cannot create {}: {e}", dir.display())))?;
                        let path = dir.join(format!("{}.npy", onnxc::npy_io::file_stem(name)));
                        onnxc::npy_io::write_tensor(&path, tensor)?;
                        println!("{name}: {:?} -> {}", tensor.shape, path.display());
                    }
                    None => println!("{name}: {:?} {}", tensor.shape, onnxc::npy_io::preview(tensor)),
                }
            }
            Ok(())
        }
        Command::Ops => {
            for (op, from, to) in onnxc::onnx::supported_op_table() {
                println!("{op}\t{from}\t{to}");
            }
            Ok(())
        }
        Command::Targets => {
            for t in Target::all()? {
                println!("{:<14} {}", t.name, t.description);
            }
            Ok(())
        }
    }
}
