//! The `wharf` binary: the command line with the built-in plugins.

fn main() -> std::process::ExitCode {
    engine::main(engine::plugins::Plugins::builtin())
}
