//! The citizen kiosk (`turno-kiosk`). Not built yet: the Slint touch UI, ESC/POS printing and the
//! rating flow are the kiosk issue's work. Until then this program says so and exits.

fn main() -> std::process::ExitCode {
    eprintln!(
        "turno-kiosk is not available yet in this version of Turno.\n\
         The office server works: see README.md (`turno-server serve --demo`)."
    );
    std::process::ExitCode::from(2)
}
