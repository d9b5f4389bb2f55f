//! Charts drawn on the server as SVG: a sparkline for a column of figures and a trend line with
//! marked points (spikes, shifts, fixes). No script and no inline style (the
//! Content-Security-Policy forbids both): shapes carry classes that `trove.css` colours under
//! `/* charts */`, and the shapes differ as well as the colours, so colour is never the only
//! signal. Every chart is an image to assistive technology (`role="img"`) whose name states
//! its figures, month by month, and its marks.

use std::fmt::{self, Write as _};

use trove_domain::safe::html_text;

/// Finished SVG markup, safe to place in a page as it is: every text in it was escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Svg(String);

impl Svg {
    /// The markup.
    #[allow(
        dead_code,
        reason = "read by tests and by pages that embed the markup raw"
    )]
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Svg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Askama leaves it unescaped: it was built from escaped parts.
impl askama::filters::HtmlSafe for Svg {}

/// How a series' values read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// A fraction shown as a percentage: 0.031 reads `3.1%`. The axis starts at zero.
    Share,
    /// A score in points with its sign (NPS): `+12.3`, `-4.0`.
    Points,
    /// A count: `18,978`. The axis starts at zero.
    #[allow(
        dead_code,
        reason = "for volume charts; the room draws shares and scores"
    )]
    Count,
    /// A value already in percent (a CSAT top-2-box share): 73.7 reads `73.7%`.
    Percent,
}

impl Unit {
    /// A value as people read it.
    pub(crate) fn format(self, value: f64) -> String {
        match self {
            Self::Share => format!("{:.1}%", value * 100.0),
            Self::Points => format!("{value:+.1}"),
            Self::Percent => format!("{value:.1}%"),
            Self::Count => {
                // A count is whole and not negative by construction; round what came in.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let n = value.max(0.0).round() as u64;
                trove_analytics::chronic::thousands(n)
            }
        }
    }

    /// Whether the axis must include zero (a share or a count drawn from its floor up).
    fn starts_at_zero(self) -> bool {
        matches!(self, Self::Share | Self::Count)
    }
}

/// One period of a series.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Point {
    /// The period as people read it: `2025-03`.
    pub(crate) label: String,
    /// Its value, or `None` where the period has no data (the line breaks there).
    pub(crate) value: Option<f64>,
    /// Its interval (low, high), drawn as a band around the line, if known.
    pub(crate) interval: Option<(f64, f64)>,
}

impl Point {
    /// A period with a value and no interval.
    pub(crate) fn new(label: impl Into<String>, value: Option<f64>) -> Self {
        Self {
            label: label.into(),
            value,
            interval: None,
        }
    }
}

/// A named series of periods, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Series {
    /// What it measures: `NPS by month`, `Share of items mentioning Billing errors`.
    pub(crate) title: String,
    /// How its values read.
    pub(crate) unit: Unit,
    /// The periods.
    pub(crate) points: Vec<Point>,
}

/// What a mark on a trend says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MarkKind {
    /// A spike: drawn as a triangle above the point.
    Spike,
    /// A lasting shift of level: drawn as a diamond on the point.
    Shift,
    /// A fix delivered (its verification in the note): drawn as a dashed vertical line.
    Fix,
}

impl MarkKind {
    fn word(self) -> &'static str {
        match self {
            Self::Spike => "spike",
            Self::Shift => "shift",
            Self::Fix => "fix",
        }
    }
}

/// A marked period on a trend.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mark {
    /// The index of the period in the series' points.
    pub(crate) at: usize,
    /// What happened.
    pub(crate) kind: MarkKind,
    /// A few words on it: `Billing errors, verified`.
    pub(crate) note: String,
}

/// The plotting area of a chart, in SVG user units.
#[derive(Debug, Clone, Copy)]
struct Frame {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
}

/// The range of values an axis spans.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Span {
    low: f64,
    high: f64,
}

impl Span {
    /// The span of the series' values and intervals (zero included when the unit wants it),
    /// widened when flat so that a constant series draws as a level line in the middle.
    fn of(series: &Series) -> Option<Self> {
        let values = series.points.iter().flat_map(|p| {
            let interval = p.interval.into_iter().flat_map(|(a, b)| [a, b]);
            p.value.into_iter().chain(interval)
        });
        let (mut low, mut high) =
            values
                .filter(|v| v.is_finite())
                .fold(None, |range: Option<(f64, f64)>, v| {
                    Some(range.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
                })?;
        if series.unit.starts_at_zero() {
            low = low.min(0.0);
        }
        if (high - low).abs() < f64::EPSILON {
            let pad = if high.abs() > 1.0 {
                high.abs() * 0.1
            } else {
                0.01
            };
            (low, high) = (low - pad, high + pad);
            if series.unit.starts_at_zero() {
                low = low.max(0.0);
            }
        }
        Some(Self { low, high })
    }

    /// A value's height in `frame` (SVG y grows downwards).
    fn y(self, value: f64, frame: Frame) -> f64 {
        let fraction = (value - self.low) / (self.high - self.low);
        frame.top + frame.height * (1.0 - fraction)
    }

    /// Three to six round values within the span, for gridlines.
    fn ticks(self) -> Vec<f64> {
        let step = nice_step((self.high - self.low) / 5.0);
        let first = (self.low / step).ceil() * step;
        // `+ 0.0` turns a negative zero into zero, which reads `+0.0`, not `-0.0`.
        (0..8)
            .map(|i| first + step * f64::from(i) + 0.0)
            .take_while(|v| *v <= self.high + step * 1e-9)
            .collect()
    }
}

/// The round step (1, 2, 2.5 or 5 times a power of ten) nearest above `raw`.
fn nice_step(raw: f64) -> f64 {
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude)
}

/// The x of period `index` of `count` in `frame`.
fn x_of(index: usize, count: usize, frame: Frame) -> f64 {
    if count <= 1 {
        return frame.left + frame.width / 2.0;
    }
    #[allow(
        clippy::cast_precision_loss,
        reason = "a chart has a few dozen periods"
    )]
    let fraction = index as f64 / (count - 1) as f64;
    frame.left + frame.width * fraction
}

/// The line through the points as an SVG path, broken where a period has no value.
fn line_path(series: &Series, span: Span, frame: Frame) -> String {
    let count = series.points.len();
    let mut path = String::new();
    let mut drawing = false;
    for (i, point) in series.points.iter().enumerate() {
        match point.value.filter(|v| v.is_finite()) {
            Some(v) => {
                let command = if drawing { 'L' } else { 'M' };
                let _ = write!(
                    path,
                    "{command}{:.1} {:.1} ",
                    x_of(i, count, frame),
                    span.y(v, frame)
                );
                drawing = true;
            }
            None => drawing = false,
        }
    }
    path.trim_end().to_owned()
}

/// The intervals as one closed band (highs left to right, lows back), over the periods that
/// have one; `None` when no period has one.
fn band_path(series: &Series, span: Span, frame: Frame) -> Option<String> {
    let count = series.points.len();
    let with: Vec<(usize, (f64, f64))> = series
        .points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.interval.map(|iv| (i, iv)))
        .collect();
    if with.len() < 2 {
        return None;
    }
    let mut path = String::new();
    for (n, (i, (_, high))) in with.iter().enumerate() {
        let command = if n == 0 { 'M' } else { 'L' };
        let _ = write!(
            path,
            "{command}{:.1} {:.1} ",
            x_of(*i, count, frame),
            span.y(*high, frame)
        );
    }
    for (i, (low, _)) in with.iter().rev() {
        let _ = write!(
            path,
            "L{:.1} {:.1} ",
            x_of(*i, count, frame),
            span.y(*low, frame)
        );
    }
    path.push('Z');
    Some(path)
}

/// The text alternative: the title, then every period's figure, then the marks.
fn describe(series: &Series, marks: &[&Mark]) -> String {
    let figures: Vec<String> = series
        .points
        .iter()
        .map(|p| match p.value {
            Some(v) => format!("{} {}", p.label, series.unit.format(v)),
            None => format!("{} no data", p.label),
        })
        .collect();
    let mut text = if figures.is_empty() {
        format!("{}: no data", series.title)
    } else {
        format!("{}: {}", series.title, figures.join(", "))
    };
    for mark in marks {
        if let Some(point) = series.points.get(mark.at) {
            let _ = write!(text, "; {} in {}", mark.kind.word(), point.label);
            if !mark.note.is_empty() {
                let _ = write!(text, " ({})", mark.note);
            }
        }
    }
    text.push('.');
    text
}

/// The opening tag, its name and its tooltip.
fn open(class: &str, width: u32, height: u32, description: &str) -> String {
    let text = html_text(description);
    format!(
        "<svg class=\"chart {class}\" viewBox=\"0 0 {width} {height}\" role=\"img\" \
         aria-label=\"{text}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{text}</title>"
    )
}

/// A sparkline (120 × 28): the line, its band if any, and a dot on the latest value. Its text
/// alternative states every period's figure.
pub(crate) fn sparkline(series: &Series) -> Svg {
    let frame = Frame {
        left: 3.0,
        top: 3.0,
        width: 114.0,
        height: 22.0,
    };
    let mut svg = open("spark", 120, 28, &describe(series, &[]));
    if let Some(span) = Span::of(series) {
        if let Some(band) = band_path(series, span, frame) {
            let _ = write!(svg, "<path class=\"band\" d=\"{band}\"/>");
        }
        let _ = write!(
            svg,
            "<path class=\"line\" d=\"{}\"/>",
            line_path(series, span, frame)
        );
        let last = series
            .points
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, p)| p.value.filter(|v| v.is_finite()).map(|v| (i, v)));
        if let Some((i, v)) = last {
            let _ = write!(
                svg,
                "<circle class=\"dot\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\"/>",
                x_of(i, series.points.len(), frame),
                span.y(v, frame)
            );
        }
    }
    svg.push_str("</svg>");
    Svg(svg)
}

/// The trend chart's size and plotting area.
const TREND_WIDTH: u32 = 640;
const TREND_HEIGHT: u32 = 230;
const TREND_FRAME: Frame = Frame {
    left: 48.0,
    top: 22.0,
    width: 576.0,
    height: 160.0,
};

/// A trend (640 × 230): gridlines with their values, the line with a dot per period, its
/// band, period labels along the bottom (thinned to about eight), the marks, and a legend of
/// the marks used. Its text alternative states every period's figure and every mark.
pub(crate) fn trend(series: &Series, marks: &[Mark]) -> Svg {
    let frame = TREND_FRAME;
    let marks: Vec<&Mark> = marks
        .iter()
        .filter(|m| m.at < series.points.len())
        .collect();
    let mut svg = open(
        "trend",
        TREND_WIDTH,
        TREND_HEIGHT,
        &describe(series, &marks),
    );
    let Some(span) = Span::of(series) else {
        let _ = write!(
            svg,
            "<text class=\"empty\" x=\"{}\" y=\"{}\">No data in this period</text></svg>",
            TREND_WIDTH / 2,
            TREND_HEIGHT / 2
        );
        return Svg(svg);
    };
    grid(&mut svg, series.unit, span, frame);
    period_labels(&mut svg, series, frame);
    if let Some(band) = band_path(series, span, frame) {
        let _ = write!(svg, "<path class=\"band\" d=\"{band}\"/>");
    }
    let _ = write!(
        svg,
        "<path class=\"line\" d=\"{}\"/>",
        line_path(series, span, frame)
    );
    dots(&mut svg, series, span, frame);
    for mark in &marks {
        draw_mark(&mut svg, series, mark, span, frame);
    }
    legend(&mut svg, &marks);
    svg.push_str("</svg>");
    Svg(svg)
}

fn grid(svg: &mut String, unit: Unit, span: Span, frame: Frame) {
    let right = frame.left + frame.width;
    for tick in span.ticks() {
        let y = span.y(tick, frame);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{:.1}\" x2=\"{right:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            frame.left,
            frame.left - 6.0,
            y + 4.0,
            html_text(&unit.format(tick))
        );
    }
}

fn period_labels(svg: &mut String, series: &Series, frame: Frame) {
    let count = series.points.len();
    let every = count.div_ceil(8).max(1);
    let y = frame.top + frame.height + 18.0;
    for (i, point) in series.points.iter().enumerate() {
        // Counted back from the last, which is always labelled, so no label crowds it.
        if (count - 1 - i).is_multiple_of(every) {
            // The last label ends at its point, so it stays inside the chart.
            let anchor = if i + 1 == count && count > 1 {
                "end"
            } else {
                "middle"
            };
            let _ = write!(
                svg,
                "<text class=\"axis\" x=\"{:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\">{}</text>",
                x_of(i, count, frame),
                html_text(&point.label)
            );
        }
    }
}

fn dots(svg: &mut String, series: &Series, span: Span, frame: Frame) {
    let count = series.points.len();
    for (i, point) in series.points.iter().enumerate() {
        if let Some(v) = point.value.filter(|v| v.is_finite()) {
            let _ = write!(
                svg,
                "<circle class=\"dot\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"><title>{}</title></circle>",
                x_of(i, count, frame),
                span.y(v, frame),
                html_text(&format!("{} {}", point.label, series.unit.format(v)))
            );
        }
    }
}

fn draw_mark(svg: &mut String, series: &Series, mark: &Mark, span: Span, frame: Frame) {
    let Some(point) = series.points.get(mark.at) else {
        return;
    };
    let x = x_of(mark.at, series.points.len(), frame);
    let y = point
        .value
        .filter(|v| v.is_finite())
        .map_or(frame.top + frame.height / 2.0, |v| span.y(v, frame));
    let note = html_text(&format!(
        "{} in {}: {}",
        mark.kind.word(),
        point.label,
        mark.note
    ));
    match mark.kind {
        MarkKind::Spike => {
            let top = y - 8.0;
            let _ = write!(
                svg,
                "<path class=\"mark spike\" d=\"M{x:.1} {top:.1} l-5 -9 h10 Z\"><title>{note}</title></path>"
            );
        }
        MarkKind::Shift => {
            let _ = write!(
                svg,
                "<path class=\"mark shift\" d=\"M{x:.1} {:.1} l6 6 l-6 6 l-6 -6 Z\"><title>{note}</title></path>",
                y - 6.0
            );
        }
        MarkKind::Fix => {
            let _ = write!(
                svg,
                "<line class=\"mark fix\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"><title>{note}</title></line>\
                 <text class=\"axis fix-label\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">fix</text>",
                frame.top,
                frame.top + frame.height,
                frame.top - 6.0
            );
        }
    }
}

/// A legend of the kinds of mark the chart uses, along its bottom edge.
fn legend(svg: &mut String, marks: &[&Mark]) {
    let y = f64::from(TREND_HEIGHT) - 8.0;
    let mut x = TREND_FRAME.left;
    for kind in [MarkKind::Spike, MarkKind::Shift, MarkKind::Fix] {
        if !marks.iter().any(|m| m.kind == kind) {
            continue;
        }
        let symbol = match kind {
            MarkKind::Spike => {
                format!("<path class=\"mark spike\" d=\"M{x:.1} {y:.1} l-5 -9 h10 Z\"/>")
            }
            MarkKind::Shift => format!(
                "<path class=\"mark shift\" d=\"M{x:.1} {:.1} l5 5 l-5 5 l-5 -5 Z\"/>",
                y - 9.0
            ),
            MarkKind::Fix => format!(
                "<line class=\"mark fix\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{y:.1}\"/>",
                y - 11.0
            ),
        };
        let _ = write!(
            svg,
            "{symbol}<text class=\"axis\" x=\"{:.1}\" y=\"{y:.1}\">{}</text>",
            x + 9.0,
            kind.word()
        );
        x += 70.0;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;

    fn share_series(values: &[Option<f64>]) -> Series {
        Series {
            title: "Share of items mentioning Billing <errors>".to_owned(),
            unit: Unit::Share,
            points: values
                .iter()
                .enumerate()
                .map(|(i, v)| Point::new(format!("2025-{:02}", i + 1), *v))
                .collect(),
        }
    }

    #[test]
    fn units_read_as_people_read_them() {
        assert_eq!(Unit::Share.format(0.031), "3.1%");
        assert_eq!(Unit::Points.format(12.34), "+12.3");
        assert_eq!(Unit::Points.format(-4.0), "-4.0");
        assert_eq!(Unit::Count.format(18_978.0), "18,978");
        assert_eq!(Unit::Percent.format(73.66), "73.7%");
    }

    #[test]
    fn the_text_alternative_states_every_figure_and_is_escaped() {
        let svg = sparkline(&share_series(&[Some(0.02), None, Some(0.05)]));
        let text = svg.as_str();
        assert!(text.contains("role=\"img\""));
        let name = "Share of items mentioning Billing &lt;errors&gt;: \
                    2025-01 2.0%, 2025-02 no data, 2025-03 5.0%.";
        assert!(text.contains(&format!("aria-label=\"{name}\"")), "{text}");
        assert!(text.contains(&format!("<title>{name}</title>")));
        assert!(!text.contains("<errors>"));
    }

    #[test]
    fn a_share_sparkline_starts_at_zero_and_breaks_at_a_gap() {
        // Values 0.02 and 0.04 on a 0..0.04 axis in a frame 3..25 high: 0.04 is the top (3),
        // 0.02 the middle (14); x runs 3..117 over three periods: 3, 60, 117.
        let svg = sparkline(&share_series(&[Some(0.02), None, Some(0.04)]));
        assert!(svg.as_str().contains("d=\"M3.0 14.0 M117.0 3.0\""), "{svg}");
        assert!(svg.as_str().contains("cx=\"117.0\" cy=\"3.0\""));
    }

    #[test]
    fn a_flat_series_draws_a_level_line_not_a_division_by_zero() {
        let series = Series {
            title: "NPS".to_owned(),
            unit: Unit::Points,
            points: vec![Point::new("a", Some(10.0)), Point::new("b", Some(10.0))],
        };
        let svg = sparkline(&series);
        assert!(
            svg.as_str().contains("d=\"M3.0 14.0 L117.0 14.0\""),
            "{svg}"
        );
        assert!(!svg.as_str().contains("NaN"));
    }

    #[test]
    fn an_empty_series_says_so() {
        let svg = trend(&share_series(&[]), &[]);
        assert!(svg.as_str().contains("No data in this period"));
        assert!(
            svg.as_str().contains(
                "aria-label=\"Share of items mentioning Billing &lt;errors&gt;: no data.\""
            )
        );
    }

    #[test]
    fn round_steps_for_gridlines() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(1.3), 2.0);
        assert_eq!(nice_step(2.2), 2.5);
        assert_eq!(nice_step(31.0), 50.0);
        let span = Span {
            low: -12.0,
            high: 30.0,
        };
        assert_eq!(span.ticks(), vec![-10.0, 0.0, 10.0, 20.0, 30.0]);
        assert!(span.ticks()[1].is_sign_positive());
    }

    #[test]
    fn a_trend_marks_spikes_and_fixes_in_shape_and_words() {
        let series = Series {
            title: "NPS by month".to_owned(),
            unit: Unit::Points,
            points: vec![
                Point::new("2025-01", Some(10.0)),
                Point::new("2025-02", Some(-5.0)),
                Point::new("2025-03", Some(12.0)),
            ],
        };
        let marks = [
            Mark {
                at: 1,
                kind: MarkKind::Spike,
                note: "Billing errors".to_owned(),
            },
            Mark {
                at: 2,
                kind: MarkKind::Fix,
                note: "verified".to_owned(),
            },
            Mark {
                at: 9,
                kind: MarkKind::Shift,
                note: "out of range: ignored".to_owned(),
            },
        ];
        let svg = trend(&series, &marks);
        let text = svg.as_str();
        assert!(text.contains(
            "aria-label=\"NPS by month: 2025-01 +10.0, 2025-02 -5.0, 2025-03 +12.0; \
             spike in 2025-02 (Billing errors); fix in 2025-03 (verified).\""
        ));
        assert!(text.contains("class=\"mark spike\""));
        assert!(text.contains("class=\"mark fix\""));
        assert!(
            !text.contains("class=\"mark shift\""),
            "a mark past the end is not drawn"
        );
        assert_eq!(text.matches("class=\"dot\"").count(), 3);
        assert!(text.contains(">fix</text>"));
    }

    #[test]
    fn intervals_draw_one_closed_band() {
        let mut series = share_series(&[Some(0.2), Some(0.3)]);
        series.points[0].interval = Some((0.1, 0.3));
        series.points[1].interval = Some((0.2, 0.4));
        let svg = sparkline(&series);
        // 0..0.4 over 3..25: 0.3 -> 8.5, 0.4 -> 3, 0.2 -> 14, 0.1 -> 19.5.
        assert!(
            svg.as_str()
                .contains("class=\"band\" d=\"M3.0 8.5 L117.0 3.0 L117.0 14.0 L3.0 19.5 Z\""),
            "{svg}"
        );
    }
}
