//! Every screen's touch targets have an accessible role and label, are at least 80 px on each side,
//! and lie inside the window, in portrait and in landscape, in Italian and in Arabic.

use i_slint_backend_testing::{ElementHandle, ElementQuery};
use slint::ComponentHandle;
use turno_kiosk::controller::Input;
use turno_kiosk::fixtures;
use turno_kiosk::kiosk::{self, NoBackend};
use turno_kiosk::lang::Language;
use turno_ui::KioskWindow;

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

fn check_screen(ui: &Ui, name: &str, width: f32, height: f32) -> usize {
    ui.step();
    let all = ElementQuery::from_root(ui.window()).find_all();
    let visible = |e: &ElementHandle| e.size().width > 0. && e.size().height > 0.;
    let targets: Vec<(Rect, String)> = all
        .iter()
        .filter(|e| visible(e) && e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::Button))
        .map(|e| (rect(e), e.accessible_label().unwrap_or_default().to_string()))
        .collect();
    for (r, label) in &targets {
        assert!(
            !label.trim().is_empty(),
            "{name}: a button without a label at {},{}",
            r.x,
            r.y
        );
        assert!(r.w >= 80. && r.h >= 80., "{name}: {label:?} is {}×{} px", r.w, r.h);
        assert!(
            r.x >= -0.5 && r.y >= -0.5 && r.x + r.w <= width + 0.5 && r.y + r.h <= height + 0.5,
            "{name}: {label:?} lies outside the window"
        );
    }
    let touch_areas: Vec<Rect> = all
        .iter()
        .filter(|e| visible(e) && e.type_name().as_deref() == Some("TouchArea"))
        .map(rect)
        .collect();
    for t in &touch_areas {
        assert!(
            targets.iter().any(|(r, _)| r.contains(t)),
            "{name}: a touch area at {},{} ({}×{}) is not inside a labelled button",
            t.x,
            t.y,
            t.w,
            t.h
        );
    }
    assert_eq!(
        touch_areas.is_empty(),
        targets.is_empty(),
        "{name}: the check sees the touch areas"
    );
    targets.len()
}

#[test]
fn every_touch_target_has_a_label_and_a_finger_sized_area() {
    crate::support::init_slint();
    for (width, height) in [(1080., 1920.), (1920., 1080.)] {
        for language in [Language::Italian, Language::Arabic] {
            for (name, inputs) in fixtures::screens() {
                let window = KioskWindow::new().unwrap();
                let (_, inbox) = kiosk::channel(|| {});
                let ui = Ui::with_backend(window, Box::new(NoBackend), inbox, "http://kiosk.test");
                ui.window().window().set_size(slint::LogicalSize::new(width, height));
                ui.kiosk.input(Input::OfficeLoaded(Ok(fixtures::office())));
                ui.kiosk.input(Input::ChooseLanguage(language));
                for input in inputs {
                    ui.kiosk.input(input);
                }
                let buttons = check_screen(&ui, &format!("{name} {width}×{height} {language}"), width, height);
                // Only the "one moment" screen has nothing to touch: the kiosk retries by itself.
                assert_eq!(buttons == 0, name == "unreachable", "{name}: buttons to touch");
            }
        }
    }
}
