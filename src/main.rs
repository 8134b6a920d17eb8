fn main() {
    std::process::exit(kura::cli::main());
}
