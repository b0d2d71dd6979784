//! The `casebook` binary: parses the command line and runs it.

fn main() -> std::process::ExitCode {
    casebook_server::cli::main()
}
