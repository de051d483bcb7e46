//! Renders the console's screens to PNG with Slint's headless software renderer, in Italian, at
//! 1366×768 and 1920×1080, and at 1366×768 with 125% scaling:
//!
//! ```sh
//! cargo run -p turno-console --example console-screenshots -- --out docs/screenshots [--lang en]
//! ```
//!
//! Files are named `console-<screen>-<width>x<height>.png` (`…-1366x768@125.png` for the scaled one);
//! with `--lang`, `console-<lang>-<screen>-….png` in that language too.

use std::path::{Path, PathBuf};

use i_slint_backend_testing::{TestingBackend, TestingBackendOptions};
use jiff::SignedDuration;
use slint::ComponentHandle;
use turno_console::console::{self, Console, NoBackend};
use turno_console::controller::{Act, Acted, Command, Input, Key, Settings, Timing};
use turno_console::fixtures;
use turno_ui::ConsoleWindow;

/// Each screen, as the inputs that lead there from a new console.
fn screens() -> Vec<(&'static str, Vec<Input>)> {
    let work = fixtures::signed_in;
    let with = |mut inputs: Vec<Input>, more: Vec<Input>| {
        inputs.extend(more);
        inputs
    };
    let key = |k| Input::Key { key: k, ctrl: false };
    let ticket = || with(work(), vec![fixtures::called()]);
    vec![
        ("sign-in", vec![]),
        ("counters", work()[..4].to_vec()),
        ("idle", work()),
        ("serving", ticket()),
        (
            "finish",
            with(
                ticket(),
                vec![
                    Input::Command(Command::Finish),
                    key(Key::Char('2')),
                    key(Key::Char('b')),
                    Input::Edited(
                        turno_console::controller::Field::Note,
                        "Certificato di residenza".into(),
                    ),
                ],
            ),
        ),
        (
            "pause",
            with(
                work(),
                vec![Input::StatusLoaded(Ok(Box::new(fixtures::status(None, true))))],
            ),
        ),
        (
            "offline",
            with(
                ticket(),
                vec![
                    Input::Connected(false),
                    Input::AlertsLoaded(Ok(vec![fixtures::printer_alert()])),
                ],
            ),
        ),
        (
            "not-arrived",
            with(
                ticket(),
                vec![Input::Acted(
                    Box::new(Act::Recall(12)),
                    Ok(Acted::Ticket(Some(Box::new(fixtures::ticket())))),
                )],
            ),
        ),
        (
            "transfer",
            with(ticket(), vec![Input::Command(Command::Transfer), key(Key::Char('c'))]),
        ),
        ("info", with(ticket(), vec![Input::Command(Command::Info)])),
    ]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut out = PathBuf::from("docs/screenshots");
    let mut other: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => out = args.next().ok_or("--out needs a folder")?.into(),
            "--lang" => other = Some(args.next().ok_or("--lang needs a code")?),
            _ => return Err(format!("unknown argument {arg:?}; use --out DIR [--lang CODE]").into()),
        }
    }
    std::fs::create_dir_all(&out)?;
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .map_err(|e| format!("{e:?}"))?;

    let sizes: [(u32, u32, f32, &str); 3] = [
        (1366, 768, 1.0, "1366x768"),
        (1920, 1080, 1.0, "1920x1080"),
        (1366, 768, 1.25, "1366x768@125"),
    ];
    let mut languages = vec![String::new()];
    languages.extend(other);
    let mut count = 0;
    for language in &languages {
        for (width, height, scale, size) in sizes {
            for (name, inputs) in screens() {
                let window = ConsoleWindow::new()?;
                window
                    .window()
                    .dispatch_event(slint::platform::WindowEvent::ScaleFactorChanged { scale_factor: scale });
                window.window().set_size(slint::PhysicalSize::new(width, height));
                let (_, inbox) = console::channel(|| {});
                let settings = Settings {
                    server: "http://192.168.1.10:8080".into(),
                    last_username: "mrossi".into(),
                    last_counter: Some(1),
                    auto_call: false,
                };
                let console = Console::new(
                    window,
                    Timing::default(),
                    settings,
                    Box::new(NoBackend),
                    Box::new(|_| {}),
                    inbox,
                );
                console.fix_time(fixtures::now());
                if !language.is_empty() {
                    slint::select_bundled_translation(language)?;
                }
                console.window().show()?;
                for input in inputs {
                    console.input(input);
                }
                if name == "not-arrived" {
                    console.fix_time(fixtures::now() + SignedDuration::from_secs(45));
                }
                i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_millis(500));
                let file = if language.is_empty() {
                    format!("console-{name}-{size}.png")
                } else {
                    format!("console-{language}-{name}-{size}.png")
                };
                let shot = console.window().window().take_snapshot()?;
                save_png(&out.join(file), shot.width(), shot.height(), shot.as_bytes())?;
                console.window().hide()?;
                count += 1;
            }
        }
    }
    println!("{count} screenshots in {}", out.display());
    Ok(())
}

fn save_png(path: &Path, width: u32, height: u32, rgba: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut encoder = png::Encoder::new(file, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Balanced);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgba)?;
    writer.finish()?;
    Ok(())
}
