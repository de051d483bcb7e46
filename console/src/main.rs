//! The clerk console (`turno-console`). Not built yet: its Slint UI is a later issue's work. Until
//! then this program says so and exits; clerks can drive a counter through the server's HTTP API.

fn main() -> std::process::ExitCode {
    eprintln!(
        "turno-console is not available yet in this version of Turno.\n\
         The office server works: see README.md (`turno-server serve --demo`)."
    );
    std::process::ExitCode::from(2)
}
