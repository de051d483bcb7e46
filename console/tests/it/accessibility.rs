//! Every control of every screen and dialog has an accessible role and label and lies inside the window,
//! at 1366×768 and 1920×1080, and at 1366×768 with 125% and 150% scaling (1093×614 and 911×512 logical
//! pixels); every clickable area belongs to a labelled control.

use i_slint_backend_testing::{AccessibleRole, ElementHandle, ElementQuery};
use turno_console::console::{self, NoBackend};
use turno_console::controller::{Act, Acted, Command, Input, Key};
use turno_console::fixtures;
use turno_ui::ConsoleWindow;

use crate::support::Ui;

struct Rect {
    x: f32,
    y: f32,
    w: f32,
    h: f32,
}

fn rect(e: &ElementHandle) -> Rect {
    let (p, s) = (e.absolute_position(), e.size());
    Rect {
        x: p.x,
        y: p.y,
        w: s.width,
        h: s.height,
    }
}

impl Rect {
    fn contains(&self, o: &Rect) -> bool {
        o.x >= self.x - 0.5
            && o.y >= self.y - 0.5
            && o.x + o.w <= self.x + self.w + 0.5
            && o.y + o.h <= self.y + self.h + 0.5
    }
}

/// The states to check, each as the inputs that lead there from a new console.
fn states() -> Vec<(&'static str, Vec<Input>)> {
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
            "prompt",
            with(
                ticket(),
                vec![Input::Acted(
                    Box::new(Act::Recall(12)),
                    Ok(Acted::Ticket(Some(Box::new(fixtures::ticket())))),
                )],
            ),
        ),
        (
            "finish",
            with(ticket(), vec![Input::Command(Command::Finish), key(Key::Char('2'))]),
        ),
        ("transfer", with(ticket(), vec![Input::Command(Command::Transfer)])),
        (
            "call-number",
            with(
                work(),
                vec![
                    Input::Command(Command::CallNumber),
                    Input::QueueLoaded(Ok(vec![fixtures::ticket()])),
                ],
            ),
        ),
        ("pause", with(work(), vec![Input::Command(Command::PauseResume)])),
        ("walk-in", with(work(), vec![Input::Command(Command::WalkIn)])),
        ("info", with(work(), vec![Input::Command(Command::Info)])),
        ("sign-out", with(work(), vec![Input::Command(Command::SignOut)])),
        (
            "paused",
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
    ]
}

fn check(ui: &Ui, name: &str, width: f32, height: f32) -> usize {
    ui.step();
    let all = ElementQuery::from_root(ui.window()).find_all();
    let visible = |e: &ElementHandle| e.size().width > 0. && e.size().height > 0.;
    let controls: Vec<(Rect, String, AccessibleRole)> = all
        .iter()
        .filter(|e| visible(e))
        .filter_map(|e| {
            let role = e.accessible_role()?;
            matches!(
                role,
                AccessibleRole::Button | AccessibleRole::TextInput | AccessibleRole::Checkbox
            )
            .then(|| (rect(e), e.accessible_label().unwrap_or_default().to_string(), role))
        })
        .collect();
    for (r, label, role) in &controls {
        assert!(
            !label.trim().is_empty(),
            "{name}: a {role:?} without a label at {},{}",
            r.x,
            r.y
        );
        assert!(
            r.x >= -0.5 && r.y >= -0.5 && r.x + r.w <= width + 0.5 && r.y + r.h <= height + 0.5,
            "{name}: {label:?} lies outside the {width}×{height} window ({},{} {}×{})",
            r.x,
            r.y,
            r.w,
            r.h
        );
    }
    // Scroll bars are the standard widget's own, operated by wheel and keys as well.
    let scrollers: Vec<Rect> = all
        .iter()
        .filter(|e| {
            visible(e)
                && e.type_name()
                    .is_some_and(|t| t.contains("ScrollBar") || t == "ScrollView")
        })
        .map(rect)
        .collect();
    for e in all
        .iter()
        .filter(|e| visible(e) && e.type_name().as_deref() == Some("TouchArea"))
    {
        let t = rect(e);
        assert!(
            controls.iter().any(|(r, ..)| r.contains(&t)) || scrollers.iter().any(|r| r.contains(&t)),
            "{name}: a clickable area at {},{} ({}×{}) is not inside a labelled control",
            t.x,
            t.y,
            t.w,
            t.h
        );
    }
    controls.len()
}

#[test]
fn every_control_has_a_role_and_a_label_and_fits_the_window() {
    crate::support::init_slint();
    for (width, height) in [(1366., 768.), (1920., 1080.), (1093., 614.), (911., 512.)] {
        for (name, inputs) in states() {
            let window = ConsoleWindow::new().unwrap();
            let (_, inbox) = console::channel(|| {});
            let ui = Ui::with_backend(
                window,
                Box::new(NoBackend),
                inbox,
                "http://console.test",
                (width, height),
            );
            for input in inputs {
                ui.console.input(input);
            }
            if name == "prompt" {
                // Past the recall's wait, the "not arrived?" prompt shows.
                ui.console
                    .fix_time(jiff::Timestamp::now() + jiff::SignedDuration::from_mins(1));
                assert!(ui.view().no_show_prompt);
            }
            let controls = check(&ui, &format!("{name} at {width}×{height}"), width, height);
            assert!(controls > 0, "{name}: nothing to act on");
        }
    }
}
