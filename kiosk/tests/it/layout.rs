//! The layout checker: walks the window's items and reports every label that is elided, broken inside a word,
//! larger than its box, outside its frame or the window, cut by a scrolling area with no scroll cue on screen,
//! or drawn over another label. Each Text's needed size is the one Slint's own layout measures
//! (`Item::layout_info`, the renderer's fonts), compared with the size it was given.
//!
//! The tests run it on every screen of the fixtures at every size a kiosk screen has (landscape and portrait),
//! and in every language.

use std::ops::ControlFlow;
use std::pin::Pin;
use std::rc::Rc;

use i_slint_backend_testing::ElementHandle;
use i_slint_core::item_rendering::RenderText;
use i_slint_core::item_tree::ParentItemTraversalMode;
use i_slint_core::items::{
    BasicBorderRectangle, BorderRectangle, Clip, ComplexText, Flickable, Item, ItemRc, Orientation, Rectangle,
    SimpleText, TextHorizontalAlignment, TextOverflow, TextVerticalAlignment, TextWrap,
};
use i_slint_core::window::{WindowAdapter, WindowInner};
use slint::ComponentHandle;
use turno_kiosk::controller::Input;
use turno_kiosk::fixtures;
use turno_kiosk::kiosk::{self, NoBackend};
use turno_kiosk::lang::Language;
use turno_ui::KioskWindow;

use crate::support::Ui;

/// The sizes of the kiosk screens the layouts must fit: landscape totems, a 5:4 17" one, portrait totems.
pub const SIZES: [(f32, f32); 7] = [
    (1024., 768.),
    (1280., 1024.),
    (1366., 768.),
    (1080., 1920.),
    (1920., 1080.),
    (1024., 600.),
    (2160., 3840.),
];

#[derive(Clone, Copy, Debug)]
struct Box2 {
    x: f32,
    y: f32,
    w: f32,
    h: f32,
}

impl Box2 {
    fn right(&self) -> f32 {
        self.x + self.w
    }
    fn bottom(&self) -> f32 {
        self.y + self.h
    }
    /// `other` lies inside, give or take `slack` pixels.
    fn holds(&self, other: &Box2, slack: f32) -> bool {
        other.x >= self.x - slack
            && other.y >= self.y - slack
            && other.right() <= self.right() + slack
            && other.bottom() <= self.bottom() + slack
    }
    /// The part of `self` inside `other`.
    fn within(&self, other: &Box2) -> Box2 {
        let (x, y) = (self.x.max(other.x), self.y.max(other.y));
        Box2 {
            x,
            y,
            w: (self.right().min(other.right()) - x).max(0.),
            h: (self.bottom().min(other.bottom()) - y).max(0.),
        }
    }
    fn overlaps(&self, other: &Box2, slack: f32) -> bool {
        self.x + slack < other.right()
            && other.x + slack < self.right()
            && self.y + slack < other.bottom()
            && other.y + slack < self.bottom()
    }
}

impl std::fmt::Display for Box2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.0},{:.0} {:.0}×{:.0}", self.x, self.y, self.w, self.h)
    }
}

fn absolute(item: &ItemRc) -> Box2 {
    let g = item.geometry();
    let p = item.map_to_window(g.origin);
    Box2 {
        x: p.x,
        y: p.y,
        w: g.size.width,
        h: g.size.height,
    }
}

/// A label as laid out: where its letters are, and the part of them a scrolling area lets be seen.
struct Label {
    text: String,
    ink: Box2,
    seen: Box2,
}

/// What the checker measures of a Text of either kind.
fn measure<T: RenderText + Item>(
    text: Pin<&T>,
    item: &ItemRc,
    adapter: &Rc<dyn WindowAdapter>,
    problems: &mut Vec<String>,
) -> Option<Label> {
    let label = item
        .accessible_string_property(i_slint_core::accessibility::AccessibleStringProperty::Label)
        .unwrap_or_default()
        .to_string();
    let rect = absolute(item);
    if rect.w <= 0. || rect.h <= 0. || !item.is_visible() || label.trim().is_empty() {
        return None;
    }
    let across = text.layout_info(Orientation::Horizontal, -1., adapter, item);
    let down = text.layout_info(Orientation::Vertical, rect.w, adapter, item);
    let (wrap, overflow) = (text.wrap(), text.overflow());
    let (halign, valign) = text.alignment();
    let slack = 0.5;
    if overflow == TextOverflow::Elide && rect.w + slack < across.preferred {
        problems.push(format!(
            "{label:?} is elided: {:.0} px wide, needs {:.0}",
            rect.w, across.preferred
        ));
    }
    if wrap == TextWrap::WordWrap && rect.w + slack < across.min {
        problems.push(format!(
            "{label:?} breaks inside a word: {:.0} px wide, its longest word needs {:.0}",
            rect.w, across.min
        ));
    }
    if wrap == TextWrap::NoWrap && overflow == TextOverflow::Clip && rect.w + slack < across.preferred {
        problems.push(format!(
            "{label:?} is wider than its box: {:.0} px wide, needs {:.0}",
            rect.w, across.preferred
        ));
    }
    if rect.h + slack < down.preferred {
        problems.push(format!(
            "{label:?} is taller than its box: {:.0} px high, needs {:.0} at {}",
            rect.h, down.preferred, rect
        ));
    }
    // Where the letters are: as wide as the text needs (no less than its longest word when it wraps, all of
    // it when it neither wraps nor elides), placed by its alignment.
    let ink_w = match (wrap, overflow) {
        (TextWrap::NoWrap, TextOverflow::Clip) => across.preferred,
        (TextWrap::WordWrap, _) => across.preferred.min(rect.w).max(across.min),
        _ => across.preferred.min(rect.w),
    };
    let ink_h = down.preferred;
    let x = match halign {
        TextHorizontalAlignment::Center => rect.x + (rect.w - ink_w) / 2.,
        TextHorizontalAlignment::Right => rect.right() - ink_w,
        _ => rect.x,
    };
    let y = match valign {
        TextVerticalAlignment::Center => rect.y + (rect.h - ink_h) / 2.,
        TextVerticalAlignment::Bottom => rect.bottom() - ink_h,
        _ => rect.y,
    };
    let ink = Box2 {
        x,
        y,
        w: ink_w,
        h: ink_h,
    };
    Some(Label {
        text: label,
        ink,
        seen: ink,
    })
}

/// The nearest frame around `item` that a reader sees (a rectangle with a background or a border), and the
/// nearest area that clips it (a scrolling list, a clipped rectangle).
fn surroundings(item: &ItemRc) -> (Option<Box2>, Option<Box2>) {
    let (mut frame, mut clip) = (None, None);
    let mut at = item.parent_item(ParentItemTraversalMode::StopAtPopups);
    while let Some(parent) = at {
        if frame.is_none() {
            let framed = if let Some(r) = parent.downcast::<Rectangle>() {
                !r.as_pin_ref().background().is_transparent()
            } else if let Some(r) = parent.downcast::<BasicBorderRectangle>() {
                let r = r.as_pin_ref();
                !r.background().is_transparent() || r.border_width().get() > 0.
            } else if let Some(r) = parent.downcast::<BorderRectangle>() {
                let r = r.as_pin_ref();
                !r.background().is_transparent() || r.border_width().get() > 0.
            } else {
                false
            };
            if framed {
                frame = Some(absolute(&parent));
            }
        }
        if clip.is_none() {
            let clips = parent.downcast::<Flickable>().is_some()
                || parent.downcast::<Clip>().is_some_and(|c| c.as_pin_ref().clip());
            if clips {
                clip = Some(absolute(&parent));
            }
        }
        at = parent.parent_item(ParentItemTraversalMode::StopAtPopups);
    }
    (frame, clip)
}

/// Everything wrong with the labels the window shows now.
pub fn problems(window: &KioskWindow) -> Vec<String> {
    let inner = WindowInner::from_pub(window.window());
    let adapter = inner.window_adapter();
    let size = window.window().size().to_logical(window.window().scale_factor());
    let screen = Box2 {
        x: 0.,
        y: 0.,
        w: size.width,
        h: size.height,
    };
    let root = ItemRc::new_root(inner.component());
    let mut problems = Vec::new();
    let mut labels = Vec::new();
    let mut clipped = Vec::new();
    root.visit_descendants(|item| {
        let label = if let Some(t) = item.downcast::<SimpleText>() {
            measure(t.as_pin_ref(), item, &adapter, &mut problems)
        } else if let Some(t) = item.downcast::<ComplexText>() {
            measure(t.as_pin_ref(), item, &adapter, &mut problems)
        } else {
            None
        };
        if let Some(mut label) = label {
            let (frame, clip) = surroundings(item);
            if let Some(clip) = clip {
                label.seen = label.ink.within(&clip);
            }
            if !screen.holds(&label.seen, 1.) {
                problems.push(format!("{:?} lies outside the window ({})", label.text, label.seen));
            }
            if let Some(frame) = frame
                && !frame.holds(&label.ink, 1.)
            {
                problems.push(format!(
                    "{:?} overflows its box: the text at {}, the box at {frame}",
                    label.text, label.ink
                ));
            }
            if let Some(clip) = clip
                && !clip.holds(&label.ink, 1.)
            {
                clipped.push(label.text.clone());
            }
            labels.push(label);
        }
        ControlFlow::<()>::Continue(())
    });
    for (i, a) in labels.iter().enumerate() {
        for b in &labels[i + 1..] {
            if a.seen.overlaps(&b.seen, 1.) {
                problems.push(format!("{:?} ({}) overlaps {:?} ({})", a.text, a.seen, b.text, b.seen));
            }
        }
    }
    let cue = ElementHandle::find_by_element_type_name(window, "ScrollCue")
        .any(|e| e.size().width > 0. && e.size().height > 0.);
    if !clipped.is_empty() && !cue {
        problems.push(format!(
            "cut by a scrolling area with no scroll cue on screen: {:?}",
            clipped
        ));
    }
    problems
}

/// A kiosk window of `width`×`height` showing the fixture screen reached by `inputs` in `language`.
pub fn screen(width: f32, height: f32, language: Language, inputs: &[Input]) -> Ui {
    screen_in(width, height, language, false, inputs)
}

/// [`screen`], in large-text mode when `large`.
pub fn screen_in(width: f32, height: f32, language: Language, large: bool, inputs: &[Input]) -> Ui {
    let window = KioskWindow::new().unwrap();
    let (_, inbox) = kiosk::channel(|| {});
    let ui = Ui::with_backend(window, Box::new(NoBackend), inbox, "http://kiosk.test");
    ui.window().window().set_size(slint::LogicalSize::new(width, height));
    ui.kiosk.input(Input::OfficeLoaded(Ok(fixtures::office())));
    ui.kiosk.input(Input::ChooseLanguage(language));
    if large {
        ui.kiosk.input(Input::ToggleLargeText);
    }
    for input in inputs {
        ui.kiosk.input(input.clone());
    }
    ui.step();
    ui
}

/// Every fixture screen at every size in `languages`: the problems found, by screen.
fn check(languages: &[Language], sizes: &[(f32, f32)], large: bool) -> Vec<String> {
    crate::support::init_slint();
    let mut all = Vec::new();
    for &(width, height) in sizes {
        for &language in languages {
            for (name, inputs) in fixtures::screens() {
                let ui = screen_in(width, height, language, large, &inputs);
                for p in problems(ui.window()) {
                    all.push(format!("{name} {width}×{height} {language}: {p}"));
                }
                ui.window().hide().unwrap();
            }
        }
    }
    all
}

#[test]
fn every_screen_fits_every_kiosk_size() {
    let problems = check(&[Language::Italian], &SIZES, false);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_translated_label_fits_its_control_in_both_orientations() {
    let problems = check(&Language::ALL, &[(1080., 1920.), (1920., 1080.), (1024., 768.)], false);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn large_text_fits_every_screen_at_every_size() {
    let problems = check(&[Language::Italian, Language::German, Language::Arabic], &SIZES, true);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Large text is for one visit: the next citizen starts with the usual size.
#[test]
fn large_text_makes_labels_larger_and_ends_with_the_visit() {
    crate::support::init_slint();
    let height_of = |ui: &Ui| {
        let found = ui.find("Benvenuti");
        found[0].size().height
    };
    let ui = screen(1080., 1920., Language::Italian, &[]);
    let usual = height_of(&ui);
    ui.kiosk.input(Input::ToggleLargeText);
    assert!(ui.view().large_text);
    assert!(height_of(&ui) > usual * 1.2, "the title grows with large text");
    for input in fixtures::screens().into_iter().find(|(n, _)| *n == "ticket").unwrap().1 {
        ui.kiosk.input(input);
    }
    assert!(ui.view().large_text, "large text holds through the visit");
    ui.kiosk.input(Input::Home);
    assert!(!ui.view().large_text, "the next visitor starts with the usual size");
    assert!((height_of(&ui) - usual).abs() < 0.5);
}

/// The checker itself sees what it must: a label squeezed into a box too small for it.
#[test]
fn the_checker_sees_an_elided_label_and_one_that_overflows() {
    crate::support::init_slint();
    let ui = screen(1920., 1080., Language::Italian, &[]);
    ui.kiosk.input(Input::OfficeLoaded(Ok(turno_shared::api::OfficeView {
        name: "Comune di Valverde, ufficio anagrafe e stato civile, sede distaccata di Borgo San Giovanni in \
               Val di Sotto"
            .into(),
        ..fixtures::office()
    })));
    ui.step();
    let found = problems(ui.window());
    assert!(found.iter().any(|p| p.contains("is elided")), "{found:#?}");
}

/// How the first Text labelled `label` aligns its lines.
pub fn alignment_of(window: &KioskWindow, label: &str) -> Option<TextHorizontalAlignment> {
    let inner = WindowInner::from_pub(window.window());
    let root = ItemRc::new_root(inner.component());
    root.visit_descendants(|item| {
        let text = item
            .accessible_string_property(i_slint_core::accessibility::AccessibleStringProperty::Label)
            .unwrap_or_default();
        if text.as_str() != label {
            return ControlFlow::Continue(());
        }
        if let Some(t) = item.downcast::<SimpleText>() {
            return ControlFlow::Break(t.as_pin_ref().alignment().0);
        }
        if let Some(t) = item.downcast::<ComplexText>() {
            return ControlFlow::Break(t.as_pin_ref().alignment().0);
        }
        ControlFlow::Continue(())
    })
}
