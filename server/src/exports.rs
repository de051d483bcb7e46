//! The back office's exports of a range of office days: CSV as Italian Excel opens it, plain RFC 4180
//! CSV, XLSX (a sheet each for tickets, events, ratings and the daily summary), JSON, and the weekly
//! satisfaction report in the shape "Mettiamoci la faccia" collects. Rows stream from the store to the
//! writer one at a time: an export never holds its range in memory. Columns: `docs/data-dictionary.md`.

use std::io::Write;
use std::path::Path;

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::Connection;
use turno_shared::stats::Figures;

use crate::error::{Error, Result};
use crate::office::Office;
use crate::stats::{self, Query};
use crate::store::exports::{self as lines, EventLine, RatingLine, TicketLine};
use crate::store::stats::Filter;

/// The shape of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
pub enum Format {
    /// CSV as Excel opens it in Italy: UTF-8 with a byte-order mark, `;`, decimal comma, dates as
    /// `26/11/2026 10:05:00`.
    #[serde(rename = "csv")]
    ExcelCsv,
    /// RFC 4180 CSV: `,`, decimal point, ISO 8601 times with their offset, CRLF.
    #[serde(rename = "csv-rfc")]
    Csv,
    /// An Excel workbook with a sheet each for tickets, events, ratings and the daily summary.
    #[serde(rename = "xlsx")]
    Xlsx,
    /// One JSON object with an array each for tickets, events, ratings and the daily summary.
    #[serde(rename = "json")]
    Json,
    /// The weekly satisfaction report of "Mettiamoci la faccia", as CSV for Italian Excel.
    #[serde(rename = "mlf")]
    Mlf,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        serde_json::from_value(serde_json::Value::String(s.to_owned()))
            .map_err(|_| format!("{s:?} is not a format: csv, csv-rfc, xlsx, json or mlf"))
    }
}

/// What a CSV export holds (XLSX and JSON hold them all).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    #[default]
    Tickets,
    Events,
    Ratings,
    Daily,
}

impl std::str::FromStr for Table {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        serde_json::from_value(serde_json::Value::String(s.to_owned()))
            .map_err(|_| format!("{s:?} is not a table: tickets, events, ratings or daily"))
    }
}

impl Table {
    const ALL: [Table; 4] = [Table::Tickets, Table::Events, Table::Ratings, Table::Daily];

    fn name(self) -> &'static str {
        match self {
            Table::Tickets => "tickets",
            Table::Events => "events",
            Table::Ratings => "ratings",
            Table::Daily => "daily",
        }
    }

    /// The sheet's name in the workbook.
    fn sheet(self) -> &'static str {
        match self {
            Table::Tickets => "Biglietti",
            Table::Events => "Eventi",
            Table::Ratings => "Valutazioni",
            Table::Daily => "Riepilogo giornaliero",
        }
    }
}

/// An export asked for.
#[derive(Clone, Debug)]
pub struct Export {
    pub query: Query,
    pub format: Format,
    pub table: Table,
}

impl Export {
    /// The file's name: `turno-tickets-2026-11-01-2026-11-30.csv`.
    pub fn file_name(&self) -> String {
        let (what, ext) = match self.format {
            Format::ExcelCsv | Format::Csv => (self.table.name(), "csv"),
            Format::Xlsx => ("export", "xlsx"),
            Format::Json => ("export", "json"),
            Format::Mlf => ("mettiamoci-la-faccia", "csv"),
        };
        format!("turno-{what}-{}-{}.{ext}", self.query.from, self.query.to)
    }

    pub fn content_type(&self) -> &'static str {
        match self.format {
            Format::ExcelCsv | Format::Csv | Format::Mlf => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Json => "application/json",
        }
    }
}

/// A value of a cell, formatted as each format wants it.
enum Cell {
    Text(String),
    Int(i64),
    Float(f64),
    /// Milliseconds since the epoch, shown in the office's time.
    Time(i64),
    Empty,
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn opt_text(s: Option<String>) -> Cell {
    s.map_or(Cell::Empty, Cell::Text)
}

fn opt_time(ms: Option<i64>) -> Cell {
    ms.map_or(Cell::Empty, Cell::Time)
}

fn opt_int<T: Into<i64>>(v: Option<T>) -> Cell {
    v.map_or(Cell::Empty, |v| Cell::Int(v.into()))
}

fn opt_float(v: Option<f64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Float)
}

fn secs(from: Option<i64>, to: Option<i64>) -> Cell {
    match (from, to) {
        (Some(a), Some(b)) => Cell::Int((b - a).max(0) / 1000),
        _ => Cell::Empty,
    }
}

const TICKET_COLUMNS: &[&str] = &[
    "id",
    "office_day",
    "number",
    "service_code",
    "service",
    "priority",
    "language",
    "state",
    "issued_at",
    "first_called_at",
    "called_at",
    "started_at",
    "finished_at",
    "wait_secs",
    "service_secs",
    "counter",
    "clerk",
    "outcome",
    "transfers",
];

fn ticket_cells(t: TicketLine) -> Vec<Cell> {
    let service_secs = if t.state == "done" {
        secs(t.started_at.or(t.called_at), t.finished_at)
    } else {
        Cell::Empty
    };
    vec![
        Cell::Int(t.id),
        text(t.office_day),
        text(t.number),
        text(t.service_code),
        text(t.service),
        Cell::Int(i64::from(t.priority)),
        opt_text(t.language),
        text(t.state),
        Cell::Time(t.issued_at),
        opt_time(t.first_called_at),
        opt_time(t.called_at),
        opt_time(t.started_at),
        opt_time(t.finished_at),
        secs(Some(t.issued_at), t.first_called_at),
        service_secs,
        opt_text(t.counter),
        opt_text(t.clerk),
        opt_text(t.outcome),
        Cell::Int(i64::from(t.transfers)),
    ]
}

const EVENT_COLUMNS: &[&str] = &[
    "ticket_id",
    "number",
    "action",
    "from_state",
    "to_state",
    "at",
    "service_code",
    "counter",
    "clerk",
    "outcome",
];

fn event_cells(e: EventLine) -> Vec<Cell> {
    vec![
        Cell::Int(e.ticket_id),
        text(e.number),
        text(e.action),
        opt_text(e.from_state),
        text(e.to_state),
        Cell::Time(e.at),
        text(e.service_code),
        opt_text(e.counter),
        opt_text(e.clerk),
        opt_text(e.outcome),
    ]
}

const RATING_COLUMNS: &[&str] = &[
    "office_day",
    "number",
    "service_code",
    "counter",
    "rating",
    "reason",
    "at",
];

fn rating_cells(r: RatingLine) -> Vec<Cell> {
    vec![
        text(r.office_day),
        text(r.number),
        text(r.service_code),
        opt_text(r.counter),
        text(r.rating),
        opt_text(r.reason),
        Cell::Time(r.at),
    ]
}

const DAILY_COLUMNS: &[&str] = &[
    "office_day",
    "service_code",
    "service",
    "issued",
    "served",
    "no_show",
    "cancelled",
    "expired",
    "transferred",
    "walk_ins",
    "wait_mean_secs",
    "wait_median_secs",
    "wait_p90_secs",
    "wait_max_secs",
    "service_mean_secs",
    "service_median_secs",
    "service_p90_secs",
    "long_waits",
    "long_wait_share",
    "within_target_share",
    "ratings",
    "good",
    "neutral",
    "bad",
    "participation",
    "satisfaction_index",
];

fn daily_cells(day: &str, code: &str, name: &str, f: &Figures) -> Vec<Cell> {
    let mut cells = vec![text(day), text(code), text(name)];
    cells.extend(figure_cells(f));
    cells
}

/// The columns of a group's figures: the daily summary's after its day and service.
pub(crate) fn figure_columns() -> &'static [&'static str] {
    &DAILY_COLUMNS[3..]
}

fn figure_cells(f: &Figures) -> Vec<Cell> {
    let s = f.satisfaction.clone().unwrap_or_default();
    vec![
        Cell::Int(f.issued.into()),
        Cell::Int(f.served.into()),
        Cell::Int(f.no_show.into()),
        Cell::Int(f.cancelled.into()),
        Cell::Int(f.expired.into()),
        Cell::Int(f.transferred.into()),
        Cell::Int(f.walk_ins.into()),
        opt_float(f.wait.mean_secs),
        opt_int(f.wait.median_secs),
        opt_int(f.wait.p90_secs),
        opt_int(f.wait.max_secs),
        opt_float(f.service.mean_secs),
        opt_int(f.service.median_secs),
        opt_int(f.service.p90_secs),
        Cell::Int(f.long_waits.into()),
        opt_float(f.long_wait_share),
        opt_float(f.within_target_share),
        Cell::Int(s.responses.into()),
        Cell::Int(s.good.into()),
        Cell::Int(s.neutral.into()),
        Cell::Int(s.bad.into()),
        opt_float(s.participation),
        opt_float(s.index),
    ]
}

/// Where rows go: a CSV, JSON or XLSX writer.
trait Sink {
    /// Starts a table: its name (JSON), its sheet's name (XLSX) and its columns.
    fn begin(&mut self, name: &str, sheet: &str, columns: &[&str]) -> Result<()>;
    fn row(&mut self, cells: Vec<Cell>) -> Result<()>;
    fn end(&mut self) -> Result<()>;
}

fn io(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("writing the export: {e}"))
}

/// The office's local time of an instant.
fn local(office: &Office, ms: i64) -> Option<jiff::Zoned> {
    Timestamp::from_millisecond(ms).ok().map(|t| office.local(t))
}

/// Lowers the calling thread's scheduling priority (nice 10): an export of a year shares the office
/// server's cores with the live office, which must not wait for it. Only ever lowered: a thread that
/// calls this keeps the lower priority until it ends.
pub fn yield_to_live_office() {
    #[cfg(target_os = "linux")]
    // SAFETY: `gettid` and `setpriority` only read their integer arguments; on Linux `PRIO_PROCESS`
    // with a thread id sets that thread's nice value. A failure leaves the priority as it was.
    unsafe {
        let tid = libc::gettid();
        let now = libc::getpriority(libc::PRIO_PROCESS, tid as libc::id_t);
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, now.max(10));
    }
}

/// Whether a column holds times: `at`, `issued_at`, ….
fn is_time_column(name: &str) -> bool {
    name == "at" || name.ends_with("_at")
}

/// An instant as Excel stores a date and time: days since 1899-12-30 in the office's local time, to
/// the second (what `ExcelDateTime` writes, without building a calendar date for each of a year's
/// five million times). `None` before 1 March 1900, where Excel's calendar is not the real one.
fn excel_serial(office: &Office, ms: i64) -> Option<f64> {
    let at = Timestamp::from_millisecond(ms).ok()?;
    let local = ms.div_euclid(1000) + i64::from(office.tz.to_offset(at).seconds());
    let days = local.div_euclid(86_400) + 25_569;
    (days >= 61).then(|| days as f64 + local.rem_euclid(86_400) as f64 / 86_400.0)
}

struct CsvSink<'a, W: Write> {
    out: csv::Writer<W>,
    office: &'a Office,
    excel: bool,
}

impl<'a, W: Write> CsvSink<'a, W> {
    fn new(mut out: W, office: &'a Office, excel: bool) -> Result<Self> {
        if excel {
            out.write_all("\u{feff}".as_bytes()).map_err(io)?;
        }
        let out = csv::WriterBuilder::new()
            .delimiter(if excel { b';' } else { b',' })
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        Ok(Self { out, office, excel })
    }

    fn field(&self, c: &Cell) -> String {
        match c {
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => {
                let s = format!("{f:.4}");
                let s = s.trim_end_matches('0').trim_end_matches('.').to_owned();
                if self.excel { s.replace('.', ",") } else { s }
            }
            Cell::Time(ms) => match local(self.office, *ms) {
                Some(z) if self.excel => z.strftime("%d/%m/%Y %H:%M:%S").to_string(),
                Some(z) => z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                None => String::new(),
            },
            Cell::Empty => String::new(),
        }
    }
}

impl<W: Write> Sink for CsvSink<'_, W> {
    fn begin(&mut self, _: &str, _: &str, columns: &[&str]) -> Result<()> {
        self.out.write_record(columns).map_err(io)
    }

    fn row(&mut self, cells: Vec<Cell>) -> Result<()> {
        let fields: Vec<String> = cells.iter().map(|c| self.field(c)).collect();
        self.out.write_record(&fields).map_err(io)
    }

    fn end(&mut self) -> Result<()> {
        self.out.flush().map_err(io)
    }
}

struct JsonSink<'a, W: Write> {
    out: W,
    office: &'a Office,
    columns: Vec<String>,
    first_table: bool,
    first_row: bool,
}

impl<W: Write> Sink for JsonSink<'_, W> {
    fn begin(&mut self, name: &str, _: &str, columns: &[&str]) -> Result<()> {
        let lead = if self.first_table { "{" } else { "," };
        self.first_table = false;
        self.first_row = true;
        self.columns = columns.iter().map(|c| (*c).to_owned()).collect();
        write!(self.out, "{lead}\"{name}\":[").map_err(io)
    }

    fn row(&mut self, cells: Vec<Cell>) -> Result<()> {
        let mut object = serde_json::Map::new();
        for (name, cell) in self.columns.iter().zip(cells) {
            let value = match cell {
                Cell::Text(s) => serde_json::Value::String(s),
                Cell::Int(i) => i.into(),
                Cell::Float(f) => serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, Into::into),
                Cell::Time(ms) => local(self.office, ms).map_or(serde_json::Value::Null, |z| {
                    z.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string().into()
                }),
                Cell::Empty => serde_json::Value::Null,
            };
            object.insert(name.clone(), value);
        }
        if !self.first_row {
            self.out.write_all(b",").map_err(io)?;
        }
        self.first_row = false;
        serde_json::to_writer(&mut self.out, &object).map_err(io)
    }

    fn end(&mut self) -> Result<()> {
        self.out.write_all(b"]").map_err(io)
    }
}

/// Writes one table's rows to a sink.
fn table(c: &Connection, office: &Office, q: &Query, filter: &Filter, t: Table, sink: &mut dyn Sink) -> Result<()> {
    match t {
        Table::Tickets => {
            sink.begin(t.name(), t.sheet(), TICKET_COLUMNS)?;
            lines::tickets(c, filter, |l| sink.row(ticket_cells(l)))?;
        }
        Table::Events => {
            sink.begin(t.name(), t.sheet(), EVENT_COLUMNS)?;
            lines::events(c, filter, |l| sink.row(event_cells(l)))?;
        }
        Table::Ratings => {
            sink.begin(t.name(), t.sheet(), RATING_COLUMNS)?;
            lines::ratings(c, filter, |l| sink.row(rating_cells(l)))?;
        }
        Table::Daily => {
            sink.begin(t.name(), t.sheet(), DAILY_COLUMNS)?;
            daily(c, office, q, sink)?;
        }
    }
    sink.end()
}

/// The days of the range with visits, however long the range.
fn days_with_visits(c: &Connection, q: &Query) -> Result<Vec<Date>> {
    lines::days_with_visits(c, &filter(q))?
        .iter()
        .map(|d| d.parse().map_err(Error::internal))
        .collect()
}

/// The daily summary: each day of the range with visits, in all (`*`) and by service; one day's rows at
/// a time.
fn daily(c: &Connection, office: &Office, q: &Query, sink: &mut dyn Sink) -> Result<()> {
    let names = lines::service_names(c)?;
    let now = Timestamp::now();
    for day in days_with_visits(c, q)? {
        let one = Query {
            from: day,
            to: day,
            ..q.clone()
        };
        let s = stats::compute(c, office, &one, now)?;
        let day = day.to_string();
        sink.row(daily_cells(&day, "*", "Tutti i servizi", &s.total))?;
        for g in &s.by_service {
            let (code, name) = names
                .iter()
                .find(|(id, ..)| id.to_string() == g.key)
                .map_or((g.key.as_str(), ""), |(_, code, name)| (code.as_str(), name.as_str()));
            sink.row(daily_cells(&day, code, name, &g.figures))?;
        }
    }
    Ok(())
}

/// Writes an export that is not a workbook (CSV, JSON, the weekly report) to `out`.
pub fn write(c: &Connection, office: &Office, e: &Export, out: impl Write) -> Result<()> {
    let filter = filter(&e.query);
    match e.format {
        Format::ExcelCsv | Format::Csv => {
            let mut sink = CsvSink::new(out, office, e.format == Format::ExcelCsv)?;
            table(c, office, &e.query, &filter, e.table, &mut sink)
        }
        Format::Json => {
            let mut sink = JsonSink {
                out,
                office,
                columns: Vec::new(),
                first_table: true,
                first_row: true,
            };
            for t in Table::ALL {
                table(c, office, &e.query, &filter, t, &mut sink)?;
            }
            sink.out.write_all(b"}").map_err(io)?;
            sink.out.flush().map_err(io)
        }
        Format::Mlf => weekly_report(c, office, &e.query, out),
        Format::Xlsx => Err(Error::internal("a workbook is written to a file: use write_xlsx")),
    }
}

fn filter(q: &Query) -> Filter {
    Filter {
        from: q.from.to_string(),
        to: q.to.to_string(),
        service_id: q.service_id,
        counter_id: q.counter_id,
        user_id: q.user_id,
    }
}

pub(crate) const MLF_COLUMNS: &[&str] = &[
    "settimana",
    "dal",
    "al",
    "ufficio",
    "servizio",
    "canale",
    "positivi",
    "neutri",
    "negativi",
    "motivo_tempi_di_attesa",
    "motivo_cortesia",
    "motivo_informazioni_poco_chiare",
    "motivo_problema_non_risolto",
    "serviti",
    "partecipazione",
];

/// The weekly report of "Mettiamoci la faccia": for each ISO week of the range (clipped to it) and each
/// service, the faces, the reasons of the bad ones, the visits served and the participation rate. The
/// channel is the counter ("sportello"), where the ratings were given.
fn weekly_report(c: &Connection, office: &Office, q: &Query, out: impl Write) -> Result<()> {
    let mut sink = CsvSink::new(out, office, true)?;
    sink.out.write_record(MLF_COLUMNS).map_err(io)?;
    let names = lines::service_names(c)?;
    let now = Timestamp::now();
    // Each week (cut to the range) that holds a day with visits, once.
    let mut weeks: Vec<(Date, Date)> = Vec::new();
    for day in days_with_visits(c, q)? {
        let week = day.iso_week_date();
        let monday = day
            .checked_sub(jiff::Span::new().days(i64::from(week.weekday().to_monday_zero_offset())))
            .unwrap_or(day);
        let sunday = monday.checked_add(jiff::Span::new().days(6)).unwrap_or(day);
        let span = (monday.max(q.from), sunday.min(q.to));
        if weeks.last() != Some(&span) {
            weeks.push(span);
        }
    }
    for (start, end) in weeks {
        let week = start.iso_week_date();
        let s = stats::compute(
            c,
            office,
            &Query {
                from: start,
                to: end,
                ..q.clone()
            },
            now,
        )?;
        for g in &s.by_service {
            let name = names
                .iter()
                .find(|(id, ..)| id.to_string() == g.key)
                .map_or(g.key.clone(), |(.., name)| name.clone());
            let f = &g.figures;
            let r = f.satisfaction.clone().unwrap_or_default();
            let reason = |k: &str| Cell::Int(i64::from(r.reasons.get(k).copied().unwrap_or(0)));
            let cells = vec![
                text(format!("{}-W{:02}", week.year(), week.week())),
                text(start.strftime("%d/%m/%Y").to_string()),
                text(end.strftime("%d/%m/%Y").to_string()),
                text(office.name.clone()),
                text(name),
                text("sportello"),
                Cell::Int(r.good.into()),
                Cell::Int(r.neutral.into()),
                Cell::Int(r.bad.into()),
                reason("waiting_time"),
                reason("staff_courtesy"),
                reason("unclear_information"),
                reason("problem_not_solved"),
                Cell::Int(i64::from(f.served + f.walk_ins)),
                opt_float(r.participation),
            ];
            sink.row(cells)?;
        }
    }
    sink.end()
}

/// Rows into a workbook's sheets (constant memory), a table longer than a sheet going on in the next.
struct XlsxSink<'a> {
    /// Rows a sheet holds, its header included: a longer table goes on in "Eventi (2)", and so on.
    sheet_rows: u32,
    /// Which columns hold shares (written as percentages) and which times.
    shares: Vec<bool>,
    times: Vec<bool>,
    book: &'a mut rust_xlsxwriter::Workbook,
    /// The index of the sheet being written, and how many sheets the book has.
    sheet: usize,
    sheets: usize,
    /// The sheet's name of the table being written.
    table: String,
    part: u32,
    office: &'a Office,
    row: u32,
    columns: Vec<String>,
    header: &'a rust_xlsxwriter::Format,
    when: &'a rust_xlsxwriter::Format,
    share: &'a rust_xlsxwriter::Format,
}
impl XlsxSink<'_> {
    fn sheet(&mut self) -> Result<&mut rust_xlsxwriter::Worksheet> {
        self.book.worksheet_from_index(self.sheet).map_err(io)
    }

    /// Starts a sheet of the table: its name, the column headers frozen at the top, widths.
    fn start_sheet(&mut self) -> Result<()> {
        let name = match self.part {
            1 => self.table.clone(),
            n => format!("{} ({n})", self.table),
        };
        self.book.add_worksheet_with_constant_memory().map_err(io)?;
        self.sheet = self.sheets;
        self.sheets += 1;
        let columns = std::mem::take(&mut self.columns);
        let (header, when, share) = (self.header, self.when, self.share);
        let shares = std::mem::take(&mut self.shares);
        let sheet = self.sheet()?;
        sheet.set_name(name).map_err(io)?;
        for (i, name) in columns.iter().enumerate() {
            let col = i as u16;
            // Times and shares get their number format from their column: a format given with
            // each of a year's five million cells costs a lookup of the whole format each time.
            if is_time_column(name) {
                sheet.set_column_format(col, when).map_err(io)?;
                sheet.set_column_width(col, 19.0).map_err(io)?;
            } else {
                if shares.get(i).copied().unwrap_or(false) {
                    sheet.set_column_format(col, share).map_err(io)?;
                }
                sheet
                    .set_column_width(col, (name.len() as f64 + 2.0).max(10.0))
                    .map_err(io)?;
            }
            sheet.write_string_with_format(0, col, name, header).map_err(io)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(io)?;
        self.shares = shares;
        self.columns = columns;
        self.row = 1;
        Ok(())
    }
}
impl Sink for XlsxSink<'_> {
    fn begin(&mut self, _: &str, sheet: &str, columns: &[&str]) -> Result<()> {
        self.table = sheet.to_owned();
        self.part = 1;
        self.columns = columns.iter().map(|c| (*c).to_owned()).collect();
        self.shares = columns
            .iter()
            .map(|c| c.ends_with("_share") || *c == "participation")
            .collect();
        self.times = columns.iter().map(|c| is_time_column(c)).collect();
        self.start_sheet()
    }

    fn row(&mut self, cells: Vec<Cell>) -> Result<()> {
        if self.row >= self.sheet_rows {
            self.part += 1;
            self.start_sheet()?;
        }
        let (row, office, when) = (self.row, self.office, self.when);
        let shares = std::mem::take(&mut self.shares);
        let times = std::mem::take(&mut self.times);
        let sheet = self.sheet()?;
        for (i, cell) in cells.into_iter().enumerate() {
            let col = i as u16;
            match cell {
                Cell::Text(s) => {
                    sheet.write_string(row, col, s).map_err(io)?;
                }
                Cell::Int(v) => {
                    sheet.write_number(row, col, v as f64).map_err(io)?;
                }
                // The column's format applies.
                Cell::Float(v) if shares.get(i).copied().unwrap_or(false) => {
                    sheet.write_number(row, col, v).map_err(io)?;
                }
                Cell::Float(v) => {
                    sheet.write_number(row, col, v).map_err(io)?;
                }
                Cell::Time(ms) => match excel_serial(office, ms) {
                    Some(serial) if times.get(i).copied().unwrap_or(false) => {
                        sheet.write_number(row, col, serial).map_err(io)?;
                    }
                    Some(serial) => {
                        sheet.write_number_with_format(row, col, serial, when).map_err(io)?;
                    }
                    None => {}
                },
                Cell::Empty => {}
            }
        }
        self.shares = shares;
        self.times = times;
        self.row += 1;
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        Ok(())
    }
}
/// Writes the workbook: a sheet each for tickets, events, ratings and the daily summary, with typed
/// cells (numbers, dates), frozen headers and column widths. Sheets are written a row at a time to
/// temporary files (rust_xlsxwriter's constant-memory mode), then zipped into `path`.
pub fn write_xlsx(c: &Connection, office: &Office, e: &Export, path: &Path) -> Result<()> {
    write_xlsx_sheets_of(c, office, e, path, 1_048_576)
}

/// [`write_xlsx`] with sheets of `sheet_rows` rows (Excel's limit is 1,048,576, the header included):
/// a table with more goes on in a sheet of the same name numbered "(2)", "(3)", ….
#[doc(hidden)]
pub fn write_xlsx_sheets_of(c: &Connection, office: &Office, e: &Export, path: &Path, sheet_rows: u32) -> Result<()> {
    use rust_xlsxwriter::{Format as Look, Workbook};
    let filter = filter(&e.query);
    let mut book = Workbook::new();
    // Deflate's fastest level with matches (zlib's "fast" strategy, 2): a year's workbook is made
    // about a fifth faster than at Excel's own level (3) for a slightly bigger file (BENCHMARKS.md).
    book.set_zip_compression_level(2);
    let header = Look::new().set_bold();
    let when = Look::new().set_num_format("dd/mm/yyyy hh:mm:ss");
    let share = Look::new().set_num_format("0.0%");
    let mut sink = XlsxSink {
        sheet_rows,
        shares: Vec::new(),
        times: Vec::new(),
        book: &mut book,
        sheet: 0,
        sheets: 0,
        table: String::new(),
        part: 1,
        office,
        row: 0,
        columns: Vec::new(),
        header: &header,
        when: &when,
        share: &share,
    };
    for t in Table::ALL {
        table(c, office, &e.query, &filter, t, &mut sink)?;
    }
    book.save(path).map_err(io)
}

// ----- figures counted elsewhere (the city's centre) -----

/// A table of figures counted elsewhere (the centre's statistics of its offices): each row its keys
/// (office, service, day, …) and a group's figures, in the daily summary's columns.
pub struct FiguresTable {
    /// The table's name in JSON, and its sheet's name in a workbook.
    pub name: &'static str,
    pub sheet: &'static str,
    /// The columns of the keys, before the figures'.
    pub keys: &'static [&'static str],
    pub rows: Vec<(Vec<String>, Figures)>,
}

impl FiguresTable {
    fn write(&self, sink: &mut dyn Sink) -> Result<()> {
        let columns: Vec<&str> = self.keys.iter().chain(figure_columns()).copied().collect();
        sink.begin(self.name, self.sheet, &columns)?;
        for (keys, f) in &self.rows {
            let mut cells: Vec<Cell> = keys.iter().map(|k| text(k.as_str())).collect();
            cells.extend(figure_cells(f));
            sink.row(cells)?;
        }
        sink.end()
    }
}

/// The sinks format times in an office's zone: tables of figures hold none.
fn no_office() -> Office {
    Office {
        name: String::new(),
        tz: jiff::tz::TimeZone::UTC,
        policy: Default::default(),
        login_ttl: jiff::SignedDuration::ZERO,
    }
}

/// Writes tables of figures: CSV (as Italian Excel opens it, or RFC 4180) holds the first table,
/// JSON one array per table; a workbook is [`write_figures_xlsx`].
pub fn write_figures(format: Format, tables: &[FiguresTable], out: impl Write) -> Result<()> {
    let office = no_office();
    match format {
        Format::ExcelCsv | Format::Csv => {
            let mut sink = CsvSink::new(out, &office, format == Format::ExcelCsv)?;
            tables.first().map_or(Ok(()), |t| t.write(&mut sink))
        }
        Format::Json => {
            let mut sink = JsonSink {
                out,
                office: &office,
                columns: Vec::new(),
                first_table: true,
                first_row: true,
            };
            for t in tables {
                t.write(&mut sink)?;
            }
            let end: &[u8] = if sink.first_table { b"{}" } else { b"}" };
            sink.out.write_all(end).map_err(io)?;
            sink.out.flush().map_err(io)
        }
        Format::Xlsx => Err(Error::internal(
            "a workbook is written to a file: use write_figures_xlsx",
        )),
        Format::Mlf => Err(Error::invalid_field(
            "format",
            "the weekly report is not a table of figures",
        )),
    }
}

/// Writes tables of figures as a workbook, a sheet each, shares as percentages.
pub fn write_figures_xlsx(tables: &[FiguresTable], path: &Path) -> Result<()> {
    use rust_xlsxwriter::{Format as Look, Workbook};
    let office = no_office();
    let mut book = Workbook::new();
    let (header, when, share) = (
        Look::new().set_bold(),
        Look::new().set_num_format("dd/mm/yyyy hh:mm:ss"),
        Look::new().set_num_format("0.0%"),
    );
    let mut sink = XlsxSink {
        sheet_rows: 1_048_576,
        shares: Vec::new(),
        times: Vec::new(),
        book: &mut book,
        sheet: 0,
        sheets: 0,
        table: String::new(),
        part: 1,
        office: &office,
        row: 0,
        columns: Vec::new(),
        header: &header,
        when: &when,
        share: &share,
    };
    for t in tables {
        t.write(&mut sink)?;
    }
    book.save(path).map_err(io)
}

// ----- downloads -----

/// A writer that hands what is written to a channel, in chunks: the export streams to the client as
/// it is made, a few chunks ahead at most.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<std::io::Result<axum::body::Bytes>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    const CHUNK: usize = 64 * 1024;

    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = axum::body::Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(Self::CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= Self::CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// An export as an HTTP download, streamed as it is read: the client holds a few chunks at most,
/// the server never the whole range. An export that fails half-way ends the answer broken, so the
/// client does not keep half a file.
pub fn download(state: &crate::AppState, export: Export) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let headers = [
        (header::CONTENT_TYPE, export.content_type().to_owned()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", export.file_name()),
        ),
    ];
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let store = state.store.clone();
    let office = state.office.clone();
    // A thread of its own (not one of the runtime's blocking pool, which a lowered priority would stay
    // with), yielding to the live office.
    let spawned = std::thread::Builder::new().name("export".into()).spawn(move || {
        yield_to_live_office();
        let mut out = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(ChannelWriter::CHUNK),
        };
        let done = store.read_blocking(|c| match export.format {
            Format::Xlsx => {
                let dir = tempfile::tempdir().map_err(Error::internal)?;
                let path = dir.path().join(export.file_name());
                write_xlsx(c, &office, &export, &path)?;
                let mut file = std::fs::File::open(&path).map_err(Error::internal)?;
                std::io::copy(&mut file, &mut out).map_err(Error::internal)?;
                Ok(())
            }
            _ => write(c, &office, &export, &mut out),
        });
        let flushed = std::io::Write::flush(&mut out).map_err(Error::internal);
        if let Err(e) = done.and(flushed) {
            // The answer has begun: end it broken, so the client does not keep half a file.
            tracing::warn!(error = %e, "an export failed");
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    if let Err(e) = spawned {
        return Error::Unavailable(format!("no thread for the export: {e}")).into_response();
    }
    let body = axum::body::Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    (headers, body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn an_export_thread_yields_to_the_live_office() {
        let nice = || unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) };
        let (before, after) = std::thread::spawn(move || {
            let before = nice();
            yield_to_live_office();
            (before, nice())
        })
        .join()
        .unwrap();
        let mine = nice();
        assert_eq!(before, mine, "a new thread starts at its parent's priority");
        assert_eq!(after, mine.max(10));
        assert!(mine < 10, "the test itself runs at nice {mine}: nothing to see");
    }

    #[test]
    fn times_are_the_serials_excel_dates_would_write() {
        use rust_xlsxwriter::ExcelDateTime;
        let office = Office {
            name: "Ufficio".into(),
            tz: jiff::tz::TimeZone::get("Europe/Rome").unwrap(),
            policy: Default::default(),
            login_ttl: jiff::SignedDuration::from_hours(8),
        };
        // Winter and summer time in Rome, midnight, the last second of a day, a leap day.
        for at in [
            "2026-01-15T08:30:05Z",
            "2026-07-01T06:00:00Z",
            "2026-03-28T23:00:00Z",
            "2026-11-30T22:59:59Z",
            "2028-02-29T12:00:00Z",
            "2025-10-26T01:30:00Z",
        ] {
            let ts: Timestamp = at.parse().unwrap();
            let z = office.local(ts);
            let expected = ExcelDateTime::from_ymd(z.year() as u16, z.month() as u8, z.day() as u8)
                .and_then(|d| d.and_hms(z.hour() as u16, z.minute() as u8, z.second() as f64))
                .unwrap()
                .to_excel();
            assert_eq!(excel_serial(&office, ts.as_millisecond() + 999), Some(expected), "{at}");
        }
        assert_eq!(excel_serial(&office, -2_500_000_000_000), None);
    }

    #[test]
    fn formats_and_tables_read_their_names() {
        assert_eq!("csv".parse::<Format>(), Ok(Format::ExcelCsv));
        assert_eq!("csv-rfc".parse::<Format>(), Ok(Format::Csv));
        assert_eq!("mlf".parse::<Format>(), Ok(Format::Mlf));
        assert!("pdf".parse::<Format>().is_err());
        assert_eq!("daily".parse::<Table>(), Ok(Table::Daily));
    }
}
