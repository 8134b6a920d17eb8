//! The `kura` command. The command line lives here, in the binary, so that
//! the library cannot reach it: library errors carry message ids, and they
//! are put into words only here, where they are printed.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
