//! The `tocsin` binary: parses the command line and hands over to the library.

fn main() -> std::process::ExitCode {
    tocsin::cli::main()
}
