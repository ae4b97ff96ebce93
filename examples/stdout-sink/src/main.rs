//! `wharf-with-stdout-sink`: the `wharf` command line (`standalone`, `docs`, ...) with the
//! built-in plugins and the example's [`StdoutSink`].

use wharf_example_stdout_sink::StdoutSink;

fn main() -> std::process::ExitCode {
    wharf::main(wharf::plugins::Plugins::builtin().with_sink::<StdoutSink>())
}
