//! The `tocsin` binary: parses the command line and hands over to the library.

/// Normalising allocates a dozen small strings per event; mimalloc makes that markedly cheaper
/// than the system allocator (see `cargo bench --bench normalize`).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tocsin::cli::main()
}
