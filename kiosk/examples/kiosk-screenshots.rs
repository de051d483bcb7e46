//! Renders every kiosk screen to PNG with Slint's headless software renderer: in Italian in portrait
//! (1080×1920), landscape (1920×1080) and on the 1024×768 and 1280×1024 totems; in a second language in
//! portrait and landscape; and some screens in large-text mode:
//!
//! ```sh
//! cargo run -p turno-kiosk --example kiosk-screenshots -- --out docs/screenshots [--lang ar]
//! ```
//!
//! Italian files are named `kiosk-<screen>-<portrait|landscape|WxH>.png`, the others
//! `kiosk-<lang>-<screen>-<orientation>.png`, large text `kiosk-large-<screen>-<orientation>.png`.

use std::path::{Path, PathBuf};

use i_slint_backend_testing::{TestingBackend, TestingBackendOptions};
use slint::ComponentHandle;
use turno_kiosk::controller::Input;
use turno_kiosk::fixtures;
use turno_kiosk::kiosk::{self, Kiosk, NoBackend, TicketSettings};
use turno_kiosk::lang::Language;
use turno_kiosk::printer::PaperWidth;
use turno_ui::{KioskAdapter, KioskWindow};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut out = PathBuf::from("docs/screenshots");
    let mut other = Language::Arabic;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => out = args.next().ok_or("--out needs a folder")?.into(),
            "--lang" => other = args.next().ok_or("--lang needs a code")?.parse()?,
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

    let mut screens = fixtures::screens();
    screens.push(("idle-warning", vec![Input::TakeNumber, Input::OpenService(1)]));
    // The welcome screen with the spoken mode on: its button lit.
    screens.push(("welcome-spoken", vec![Input::ToggleSpeech]));
    const PORTRAIT: (&str, u32, u32) = ("portrait", 1080, 1920);
    const LANDSCAPE: (&str, u32, u32) = ("landscape", 1920, 1080);
    let large_screens = ["welcome", "info", "priority", "ticket-not-printed", "rate-faces"];
    let runs = [
        (
            Language::Italian,
            false,
            vec![PORTRAIT, LANDSCAPE, ("1024x768", 1024, 768), ("1280x1024", 1280, 1024)],
        ),
        (other, false, vec![PORTRAIT, LANDSCAPE]),
        (Language::Italian, true, vec![PORTRAIT, ("1024x768", 1024, 768)]),
    ];
    let mut count = 0;
    for (language, large, sizes) in runs {
        for (orientation, width, height) in sizes {
            for (name, inputs) in &screens {
                if large && !large_screens.contains(name) {
                    continue;
                }
                let window = KioskWindow::new()?;
                window.window().set_size(slint::PhysicalSize::new(width, height));
                window.show()?;
                let (_, inbox) = kiosk::channel(|| {});
                let kiosk = Kiosk::new(
                    window,
                    Default::default(),
                    Box::new(NoBackend),
                    inbox,
                    TicketSettings {
                        public_url: "http://kiosk.test".into(),
                        paper: PaperWidth::Mm80,
                    },
                );
                kiosk.show_time(&"2026-11-26T09:41".parse()?);
                kiosk.input(Input::OfficeLoaded(Ok(fixtures::office())));
                kiosk.input(Input::ChooseLanguage(language));
                if large {
                    kiosk.input(Input::ToggleLargeText);
                }
                for input in inputs {
                    kiosk.input(input.clone());
                }
                if *name == "idle-warning" {
                    let adapter = kiosk.window().global::<KioskAdapter>();
                    adapter.set_idle_warning(true);
                    adapter.set_idle_seconds(12);
                }
                // Let animations settle (the "one moment" veil, the dots).
                i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_millis(1000));
                let file = match language {
                    _ if large => format!("kiosk-large-{name}-{orientation}.png"),
                    Language::Italian => format!("kiosk-{name}-{orientation}.png"),
                    other => format!("kiosk-{other}-{name}-{orientation}.png"),
                };
                let shot = kiosk.window().window().take_snapshot()?;
                save_png(&out.join(file), shot.width(), shot.height(), shot.as_bytes())?;
                kiosk.window().hide()?;
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
