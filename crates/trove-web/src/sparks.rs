//! The ranking's and theme page's small charts, as inline SVG drawn on the server: a
//! sparkline of a theme's share per period, and a theme's trend (items per period as bars,
//! with its spikes, shifts and fix day marked in words, not only in colour). Text in them is
//! escaped; styling comes from the style sheet's classes (the CSP allows no inline style).

use trove_domain::safe::html_text;

/// A period the analysis flagged (`label`: "spike" or "shift").
pub(crate) struct Mark {
    /// The period's position in the series.
    pub(crate) at: usize,
    /// What it is, in a word.
    pub(crate) label: String,
}

/// The share `count / total` of each point, 0 for an empty period.
fn shares(points: &[(u64, u64)]) -> Vec<f64> {
    points
        .iter()
        .map(|&(count, total)| {
            if total == 0 {
                0.0
            } else {
                count as f64 / total as f64
            }
        })
        .collect()
}

/// A sparkline of the share of items per period; `what` names it for screen readers.
pub(crate) fn sparkline(points: &[(u64, u64)], what: &str) -> String {
    let (width, height, pad) = (96.0, 24.0, 2.0);
    let shares = shares(points);
    let top = shares.iter().copied().fold(0.0, f64::max);
    let step = if shares.len() > 1 {
        (width - 2.0 * pad) / (shares.len() - 1) as f64
    } else {
        0.0
    };
    let y = |share: f64| {
        if top > 0.0 {
            height - pad - (height - 2.0 * pad) * share / top
        } else {
            height - pad
        }
    };
    let path: Vec<String> = shares
        .iter()
        .enumerate()
        .map(|(i, &s)| format!("{:.1},{:.1}", pad + step * i as f64, y(s)))
        .collect();
    let described: Vec<String> = points
        .iter()
        .zip(&shares)
        .map(|((count, _), share)| format!("{count} ({:.1}%)", 100.0 * share))
        .collect();
    let label = html_text(&format!("{what}: {}", described.join(", ")));
    let last = path.last().cloned().unwrap_or_default();
    let (lx, ly) = last.split_once(',').unwrap_or(("0", "0"));
    format!(
        "<svg class=\"spark\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"{label}\"><title>{label}</title>\
         <polyline class=\"spark-line\" points=\"{}\"/><circle class=\"spark-end\" cx=\"{lx}\" cy=\"{ly}\" r=\"2\"/></svg>",
        path.join(" ")
    )
}

/// A theme's trend: one bar per period (its items), the period's name under it, the flagged
/// periods marked with their word above the bar, and the fix's period (`fix`) with a dashed
/// line and the word "fix". `points`: (period name, theme's items, all items).
pub(crate) fn trend(
    points: &[(String, u64, u64)],
    marks: &[Mark],
    fix: Option<usize>,
    what: &str,
) -> String {
    let n = points.len().max(1) as f64;
    let (width, height) = (640.0, 220.0);
    let (left, right, top, bottom) = (44.0, 8.0, 26.0, 34.0);
    let plot_h = height - top - bottom;
    let slot = (width - left - right) / n;
    let most = points.iter().map(|p| p.1).max().unwrap_or(0).max(1) as f64;
    let mut svg = format!(
        "<svg class=\"trend\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"trend-title\"><title id=\"trend-title\">{}</title>",
        html_text(&format!("Items about {what} per period"))
    );
    svg.push_str(&format!(
        "<line class=\"axis\" x1=\"{left}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\"/><text class=\"tick\" x=\"{x}\" y=\"{t}\" text-anchor=\"end\">{most}</text><text class=\"tick\" x=\"{x}\" y=\"{b}\" text-anchor=\"end\">0</text>",
        b = top + plot_h,
        r = width - right,
        x = left - 4.0,
        t = top + 4.0,
        most = most as u64,
    ));
    let every = (points.len() / 12).max(1);
    for (i, (label, count, _)) in points.iter().enumerate() {
        let x = left + slot * i as f64;
        let h = plot_h * *count as f64 / most;
        let y = top + plot_h - h;
        let mark = marks.iter().find(|m| m.at == i);
        let class = if mark.is_some() { "bar flagged" } else { "bar" };
        svg.push_str(&format!(
            "<rect class=\"{class}\" x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>{}</title></rect>",
            x + slot * 0.15,
            slot * 0.7,
            html_text(&format!("{label}: {count} items"))
        ));
        if let Some(mark) = mark {
            svg.push_str(&format!(
                "<text class=\"mark\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x + slot / 2.0,
                (y - 4.0).max(10.0),
                html_text(&mark.label)
            ));
        }
        if i % every == 0 {
            svg.push_str(&format!(
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x + slot / 2.0,
                top + plot_h + 16.0,
                html_text(label)
            ));
        }
    }
    if let Some(at) = fix {
        let x = left + slot * at as f64 + slot / 2.0;
        svg.push_str(&format!(
            "<line class=\"fix\" x1=\"{x:.1}\" y1=\"{top}\" x2=\"{x:.1}\" y2=\"{:.1}\"/><text class=\"fix-label\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">fix</text>",
            top + plot_h,
            top - 12.0
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sparkline_names_every_point_and_escapes_its_text() {
        let svg = sparkline(&[(5, 100), (10, 100), (0, 0)], "<b>Fees</b>");
        assert!(svg.contains("5 (5.0%), 10 (10.0%), 0 (0.0%)"), "{svg}");
        assert!(!svg.contains("<b>"));
        // The highest share sits at the top padding, an empty period on the floor.
        assert!(svg.contains("48.0,2.0"), "{svg}");
        assert!(svg.contains("94.0,22.0"), "{svg}");
    }

    #[test]
    fn the_trend_marks_flagged_periods_and_the_fix_in_words() {
        let points = vec![
            ("2026-01".to_owned(), 10, 100),
            ("2026-02".to_owned(), 40, 100),
            ("2026-03".to_owned(), 5, 100),
        ];
        let marks = [Mark {
            at: 1,
            label: "spike".into(),
        }];
        let svg = trend(&points, &marks, Some(2), "Fees");
        assert!(svg.contains(">spike</text>"));
        assert!(svg.contains(">fix</text>"));
        assert_eq!(svg.matches("class=\"bar flagged\"").count(), 1);
        assert!(svg.contains("2026-02: 40 items"));
    }
}
