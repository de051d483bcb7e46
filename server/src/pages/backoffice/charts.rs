//! Charts drawn on the server as SVG, for the dashboard and the monthly report: bars, a weekday × hour
//! heat map and a line by day. Each chart comes with its numbers as a table one click away
//! (`<details>`), so that what the picture shows is also read by a screen reader and copied by hand.
//! Colours are presentation attributes (the pages' policy forbids inline styles) and meet 3:1 against
//! white; series differ by shape or position too, never by colour alone.

use maud::{Markup, PreEscaped, html};

/// The series' colours: Bootstrap Italia's blue, a dark teal, an orange-brown.
const COLOURS: [&str; 3] = ["#0066cc", "#00665c", "#995c00"];
const INK: &str = "#1a1a1a";
const GRID: &str = "#c5c7c9";
const FONT: &str = "Titillium Web, DejaVu Sans, sans-serif";

/// A chart and its table, in a figure with a caption.
pub struct Chart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    /// One sentence saying what the chart shows, for screen readers.
    pub description: &'a str,
    pub svg: Markup,
    pub table: Markup,
}

impl Chart<'_> {
    pub fn render(&self) -> Markup {
        let title_id = format!("{}-title", self.id);
        let desc_id = format!("{}-desc", self.id);
        html! {
            figure.bo-chart id=(self.id) {
                figcaption { h3 id=(title_id) { (self.title) } }
                p.bo-muted.visually-hidden id=(desc_id) { (self.description) }
                div role="img" aria-labelledby=(title_id) aria-describedby=(desc_id) { (self.svg) }
                details {
                    summary { "Mostra i dati in tabella" }
                    (self.table)
                }
            }
        }
    }
}

/// Escapes text for SVG, as for HTML.
fn esc(s: &str) -> String {
    super::super::escape(s)
}

/// A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`.
pub fn nice_max(max: f64) -> f64 {
    if !max.is_finite() || max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    for step in [1.0, 2.0, 5.0, 10.0] {
        if step * magnitude >= max {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

/// A number as Italians write it: decimal comma, `decimals` digits.
pub fn number(v: f64, decimals: usize) -> String {
    format!("{v:.decimals$}").replace('.', ",")
}

/// Horizontal bars: one row per label, one bar per series in each row. Values `None` draw nothing
/// and read "—" in the table. `unit` follows each value.
pub fn bars(labels: &[String], series: &[(&str, Vec<Option<f64>>)], unit: &str, decimals: usize) -> Markup {
    let row_h = 12.0 + 14.0 * series.len() as f64;
    let label_w = 200.0;
    let width = 640.0;
    let plot_w = width - label_w - 70.0;
    let legend_h = 26.0;
    let height = legend_h + row_h * labels.len().max(1) as f64 + 24.0;
    let max = series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten().copied())
        .fold(0.0, f64::max);
    let top = nice_max(max);
    let x = |v: f64| label_w + plot_w * (v / top);
    let mut svg = String::new();
    svg.push_str(&format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="12" aria-hidden="true" focusable="false">"#
    ));
    // Legend: a square and the series' name, side by side.
    let mut lx = label_w;
    for (i, (name, _)) in series.iter().enumerate() {
        svg.push_str(&format!(
            r#"<rect x="{lx}" y="6" width="12" height="12" fill="{}"/><text x="{}" y="16" fill="{INK}">{}</text>"#,
            COLOURS[i % COLOURS.len()],
            lx + 16.0,
            esc(name)
        ));
        lx += 24.0 + 7.0 * name.chars().count() as f64;
    }
    // Grid: five steps.
    let base = legend_h + row_h * labels.len().max(1) as f64;
    for step in 0..=4 {
        let v = top * f64::from(step) / 4.0;
        let gx = x(v);
        svg.push_str(&format!(
            r#"<line x1="{gx:.1}" y1="{legend_h}" x2="{gx:.1}" y2="{base}" stroke="{GRID}" stroke-width="1"/><text x="{gx:.1}" y="{}" text-anchor="middle" fill="{INK}">{}</text>"#,
            base + 16.0,
            number(v, if top < 10.0 { 1 } else { 0 })
        ));
    }
    for (row, label) in labels.iter().enumerate() {
        let y0 = legend_h + row_h * row as f64;
        let shown: String = if label.chars().count() > 32 {
            label.chars().take(31).chain(['…']).collect()
        } else {
            label.clone()
        };
        svg.push_str(&format!(
            r#"<text x="{}" y="{:.1}" text-anchor="end" fill="{INK}">{}</text>"#,
            label_w - 8.0,
            y0 + row_h / 2.0 + 4.0,
            esc(&shown)
        ));
        for (i, (_, values)) in series.iter().enumerate() {
            let Some(v) = values.get(row).copied().flatten() else {
                continue;
            };
            let by = y0 + 6.0 + 14.0 * i as f64;
            let bw = (x(v) - label_w).max(1.0);
            svg.push_str(&format!(
                r#"<rect x="{label_w}" y="{by:.1}" width="{bw:.1}" height="11" fill="{}"/><text x="{:.1}" y="{:.1}" fill="{INK}">{}{unit}</text>"#,
                COLOURS[i % COLOURS.len()],
                label_w + bw + 4.0,
                by + 9.5,
                number(v, decimals)
            ));
        }
    }
    svg.push_str("</svg>");
    PreEscaped(svg)
}

/// The table of a bar chart.
pub fn bars_table(
    caption: &str,
    head: &str,
    labels: &[String],
    series: &[(&str, Vec<Option<f64>>)],
    decimals: usize,
) -> Markup {
    html! {
        div.bo-table-wrap tabindex="0" role="region" aria-label=((caption)) {
            table {
                caption { (caption) }
                thead { tr { th scope="col" { (head) } @for (name, _) in series { th.num scope="col" { (name) } } } }
                tbody {
                    @for (row, label) in labels.iter().enumerate() {
                        tr {
                            th scope="row" { (label) }
                            @for (_, values) in series {
                                td.num { (values.get(row).copied().flatten().map_or("—".to_owned(), |v| number(v, decimals))) }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub const WEEKDAYS: [&str; 7] = [
    "lunedì",
    "martedì",
    "mercoledì",
    "giovedì",
    "venerdì",
    "sabato",
    "domenica",
];

/// The hours worth drawing in a weekday × hour grid: from the first to the last with any count
/// (8–18 when there is none).
pub fn busy_hours(grid: &[Vec<u32>]) -> std::ops::RangeInclusive<usize> {
    let any = |h: usize| grid.iter().any(|row| row.get(h).copied().unwrap_or(0) > 0);
    let first = (0..24).find(|&h| any(h));
    let last = (0..24).rev().find(|&h| any(h));
    match (first, last) {
        (Some(f), Some(l)) => f..=l,
        _ => 8..=18,
    }
}

/// Arrivals by weekday (rows, Monday first) and hour (columns): each cell's shade grows with its
/// count, and the count is written in it, so the colour is never the only cue.
pub fn heatmap(grid: &[Vec<u32>]) -> Markup {
    let hours = busy_hours(grid);
    let cols = hours.clone().count() as f64;
    let (left, top, cell_w, cell_h) = (80.0, 20.0, 560.0 / cols, 30.0);
    let width = left + cell_w * cols;
    let height = top + cell_h * 7.0 + 4.0;
    let max = grid.iter().flatten().copied().max().unwrap_or(0).max(1);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" font-family="{FONT}" font-size="11" aria-hidden="true" focusable="false">"#
    );
    for (i, h) in hours.clone().enumerate() {
        svg.push_str(&format!(
            r#"<text x="{:.1}" y="14" text-anchor="middle" fill="{INK}">{h}</text>"#,
            left + cell_w * (i as f64 + 0.5)
        ));
    }
    for (d, day) in WEEKDAYS.iter().enumerate() {
        let y = top + cell_h * d as f64;
        svg.push_str(&format!(
            r#"<text x="{}" y="{:.1}" text-anchor="end" fill="{INK}">{day}</text>"#,
            left - 6.0,
            y + cell_h / 2.0 + 4.0
        ));
        for (i, h) in hours.clone().enumerate() {
            let n = grid.get(d).and_then(|r| r.get(h)).copied().unwrap_or(0);
            let share = f64::from(n) / f64::from(max);
            // From white to Bootstrap Italia's dark blue; text turns white on the dark half.
            let shade = |from: f64, to: f64| (from + (to - from) * share).round() as u8;
            let fill = format!(
                "#{:02x}{:02x}{:02x}",
                shade(255.0, 0.0),
                shade(255.0, 51.0),
                shade(255.0, 102.0)
            );
            let text = if share > 0.45 { "#ffffff" } else { INK };
            let x = left + cell_w * i as f64;
            svg.push_str(&format!(
                r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{}" fill="{fill}" stroke="{GRID}" stroke-width="0.5"/>"#,
                cell_w,
                cell_h
            ));
            if n > 0 {
                svg.push_str(&format!(
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{text}">{n}</text>"#,
                    x + cell_w / 2.0,
                    y + cell_h / 2.0 + 4.0
                ));
            }
        }
    }
    svg.push_str("</svg>");
    PreEscaped(svg)
}

/// The table of the heat map.
pub fn heatmap_table(grid: &[Vec<u32>]) -> Markup {
    let hours = busy_hours(grid);
    html! {
        div.bo-table-wrap tabindex="0" role="region" aria-label=("Biglietti emessi per giorno della settimana e ora") {
            table {
                caption { "Biglietti emessi per giorno della settimana e ora" }
                thead { tr { th scope="col" { "Giorno" } @for h in hours.clone() { th.num scope="col" { (h) ":00" } } } }
                tbody {
                    @for (d, day) in WEEKDAYS.iter().enumerate() {
                        tr {
                            th scope="row" { (day) }
                            @for h in hours.clone() {
                                td.num { (grid.get(d).and_then(|r| r.get(h)).copied().unwrap_or(0)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A line by day: `points` in order, `None` where a day has no value (the line breaks there).
/// `max` fixes the axis (e.g. 100 for a share or an index); otherwise it follows the data. A dashed
/// `reference` line (e.g. a target) is drawn when given.
pub fn line(points: &[(String, Option<f64>)], max: Option<f64>, unit: &str, reference: Option<(f64, &str)>) -> Markup {
    let (left, right, top, bottom) = (48.0, 16.0, 12.0, 34.0);
    let (width, height) = (640.0, 260.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let data_max = points.iter().filter_map(|(_, v)| *v).fold(0.0, f64::max);
    let top_value = max.unwrap_or_else(|| nice_max(data_max));
    let n = points.len().max(1);
    let x = |i: usize| {
        left + if n == 1 {
            plot_w / 2.0
        } else {
            plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| top + plot_h * (1.0 - (v / top_value).clamp(0.0, 1.0));
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="11" aria-hidden="true" focusable="false">"#
    );
    for step in 0..=4 {
        let v = top_value * f64::from(step) / 4.0;
        let gy = y(v);
        svg.push_str(&format!(
            r#"<line x1="{left}" y1="{gy:.1}" x2="{}" y2="{gy:.1}" stroke="{GRID}" stroke-width="1"/><text x="{}" y="{:.1}" text-anchor="end" fill="{INK}">{}{unit}</text>"#,
            width - right,
            left - 6.0,
            gy + 4.0,
            number(v, 0)
        ));
    }
    if let Some((value, label)) = reference {
        let ry = y(value);
        svg.push_str(&format!(
            r#"<line x1="{left}" y1="{ry:.1}" x2="{}" y2="{ry:.1}" stroke="{}" stroke-width="1.5" stroke-dasharray="6 4"/><text x="{}" y="{:.1}" text-anchor="end" fill="{INK}">{}</text>"#,
            width - right,
            COLOURS[2],
            width - right,
            ry - 4.0,
            esc(label)
        ));
    }
    // Date labels: about six, evenly spaced.
    let every = n.div_ceil(6).max(1);
    for (i, (label, _)) in points.iter().enumerate() {
        // The last day too, unless it would run into the label before it.
        let last = i + 1 == n && i % every > every / 2;
        if i % every == 0 || last {
            svg.push_str(&format!(
                r#"<text x="{:.1}" y="{}" text-anchor="middle" fill="{INK}">{}</text>"#,
                x(i),
                height - 12.0,
                esc(label)
            ));
        }
    }
    // The line, broken where a day has no value; a dot on each day with one.
    let mut path = String::new();
    let mut pen_down = false;
    for (i, (_, v)) in points.iter().enumerate() {
        match v {
            Some(v) => {
                path.push_str(&format!(
                    "{}{:.1},{:.1} ",
                    if pen_down { "L" } else { "M" },
                    x(i),
                    y(*v)
                ));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    if !path.is_empty() {
        svg.push_str(&format!(
            r#"<path d="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
            path.trim_end(),
            COLOURS[0]
        ));
    }
    if n <= 62 {
        for (i, (_, v)) in points.iter().enumerate() {
            if let Some(v) = v {
                svg.push_str(&format!(
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"/>"#,
                    x(i),
                    y(*v),
                    COLOURS[0]
                ));
            }
        }
    }
    svg.push_str("</svg>");
    PreEscaped(svg)
}

/// The table of a line by day.
pub fn line_table(
    caption: &str,
    head: &str,
    points: &[(String, Option<f64>)],
    extra: &[(&str, Vec<String>)],
    decimals: usize,
) -> Markup {
    html! {
        div.bo-table-wrap tabindex="0" role="region" aria-label=((caption)) {
            table {
                caption { (caption) }
                thead { tr { th scope="col" { "Giorno" } th.num scope="col" { (head) } @for (name, _) in extra { th.num scope="col" { (name) } } } }
                tbody {
                    @for (i, (day, v)) in points.iter().enumerate() {
                        tr {
                            th scope="row" { (day) }
                            td.num { (v.map_or("—".to_owned(), |v| number(v, decimals))) }
                            @for (_, column) in extra { td.num { (column.get(i).map_or("", String::as_str)) } }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.3), 10.0);
        assert_eq!(nice_max(12.0), 20.0);
        assert_eq!(nice_max(41.0), 50.0);
        assert_eq!(nice_max(100.0), 100.0);
    }

    #[test]
    fn numbers_are_written_the_italian_way() {
        assert_eq!(number(12.345, 1), "12,3");
        assert_eq!(number(7.0, 0), "7");
    }

    #[test]
    fn every_bar_and_cell_carries_its_number() {
        let svg = bars(
            &["Anagrafe".into(), "Tributi <&>".into()],
            &[
                ("Mediana", vec![Some(4.5), None]),
                ("90° percentile", vec![Some(12.0), Some(3.26)]),
            ],
            " min",
            1,
        )
        .into_string();
        for shown in ["4,5 min", "12,0 min", "3,3 min", "Tributi &lt;&amp;&gt;"] {
            assert!(svg.contains(&format!(">{shown}<")), "{shown} in {svg}");
        }
        assert_eq!(svg.matches("height=\"11\"").count(), 3, "no bar for a missing value");
        let mut grid = vec![vec![0; 24]; 7];
        grid[0][9] = 12;
        grid[4][15] = 3;
        assert_eq!(busy_hours(&grid), 9..=15);
        let map = heatmap(&grid).into_string();
        assert!(map.contains(">12<") && map.contains(">3<"));
        assert!(map.contains("#003366"), "the busiest cell is the darkest");
    }

    #[test]
    fn a_line_breaks_where_a_day_has_no_value() {
        let points = vec![
            ("1/11".to_owned(), Some(10.0)),
            ("2/11".to_owned(), Some(20.0)),
            ("3/11".to_owned(), None),
            ("4/11".to_owned(), Some(30.0)),
        ];
        let svg = line(&points, Some(100.0), "%", Some((25.0, "obiettivo"))).into_string();
        let path = svg.split("<path d=\"").nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(path.matches('M').count(), 2, "{path}");
        assert!(svg.contains("obiettivo"));
    }
}
