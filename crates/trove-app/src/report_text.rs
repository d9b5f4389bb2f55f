//! The monthly review as Markdown and as CSV (the HTML is `trove-web`'s: it owns the charts).

use std::fmt::Write as _;

use trove_analytics::chronic::{p_text, thousands};
use trove_analytics::scores::{Comparison, Estimate};

use crate::report::*;

/// "12.3 (95% CI 4.1 to 20.5, n = 456)".
pub fn estimate_text(e: &Estimate) -> String {
    format!(
        "{:.1} (95% CI {:.1} to {:.1}, n = {})",
        e.value,
        e.ci_low,
        e.ci_high,
        thousands(e.n)
    )
}

/// What a score's figure is, in words.
pub fn measure(kind: trove_analytics::scores::ScoreKind) -> &'static str {
    use trove_analytics::scores::ScoreKind;
    match kind {
        ScoreKind::Nps => "answers 0-10; % promoters minus % detractors",
        ScoreKind::Csat => "answers 1-5; % answering 4-5",
        ScoreKind::Ces => "answers 1-7; % answering 5-7",
    }
}

/// "+2.3 points (95% CI −1.0 to 5.6, p = 0.17, not significant)".
pub fn comparison_text(c: &Comparison) -> String {
    format!(
        "{:+.1} points (95% CI {:.1} to {:.1}, {}, {})",
        c.difference,
        c.ci_low,
        c.ci_high,
        p_text(c.p_value),
        if c.significant {
            "significant"
        } else {
            "not significant"
        }
    )
}

/// "62%" of a share 0..1, or "no items".
pub fn share_text(share: Option<f64>) -> String {
    share.map_or_else(|| "no items".to_owned(), |s| format!("{:.1}%", 100.0 * s))
}

/// The first-contact resolution in words, "not recorded" when no case says.
pub fn first_contact_text(fc: Option<FirstContact>) -> String {
    match fc {
        Some(f) => format!(
            "{} of {} cases ({:.0}%)",
            f.resolved,
            f.recorded,
            100.0 * f.resolved as f64 / f.recorded.max(1) as f64
        ),
        None => "not recorded".to_owned(),
    }
}

/// A Markdown table cell: pipes and line breaks would break the table.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The report as Markdown.
pub fn markdown(r: &MonthlyReport) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# Monthly review: {}, {}\n", r.business_unit, r.month);
    let _ = writeln!(
        w,
        "{} items from every source, {} to {} (exclusive).\n",
        thousands(r.items),
        r.from,
        r.to
    );
    markdown_scores(w, r);
    markdown_why(w, r);
    markdown_issues(w, r);
    markdown_plan(w, r);
    markdown_loop(w, r);
    let c = &r.coverage;
    let _ = writeln!(w, "## Coverage\n");
    let _ = writeln!(
        w,
        "{} of {} items tagged ({}).",
        thousands(c.tagged),
        thousands(c.items),
        share_text(c.share)
    );
    if c.new_themes.is_empty() {
        let _ = writeln!(w, "No theme seen for the first time this month.\n");
    } else {
        let list: Vec<String> = c
            .new_themes
            .iter()
            .map(|t| format!("{} ({})", t.theme, t.items))
            .collect();
        let _ = writeln!(w, "Themes seen for the first time: {}.\n", list.join(", "));
    }
    markdown_annuity(w, r);
    if !r.notes.is_empty() {
        let _ = writeln!(w, "## Notes\n");
        for note in &r.notes {
            let _ = writeln!(w, "- {note}");
        }
        let _ = writeln!(w);
    }
    out
}

fn markdown_scores(w: &mut String, r: &MonthlyReport) {
    if r.scores.is_empty() {
        let _ = writeln!(w, "## Scores\n\nNo survey answers this month.\n");
    }
    for s in &r.scores {
        let _ = writeln!(w, "## {} ({})\n", s.name, measure(s.kind));
        let _ = writeln!(w, "{}: {}\n", r.month, estimate_text(&s.estimate));
        for (label, test) in [
            ("previous month", &s.vs_previous_month),
            ("a year before", &s.vs_year_before),
        ] {
            match test {
                Some(t) => {
                    let _ = writeln!(
                        w,
                        "- against {label} ({}, {:.1}): {}",
                        t.month,
                        t.estimate.value,
                        comparison_text(&t.comparison)
                    );
                }
                None => {
                    let _ = writeln!(w, "- against {label}: no answers then");
                }
            }
        }
        let _ = writeln!(
            w,
            "\n| month | {} | 95% CI | n |\n|---|---:|---|---:|",
            s.name
        );
        for m in &s.trend {
            match &m.estimate {
                Some(e) => {
                    let _ = writeln!(
                        w,
                        "| {} | {:.1} | {:.1} to {:.1} | {} |",
                        m.month,
                        e.value,
                        e.ci_low,
                        e.ci_high,
                        thousands(e.n)
                    );
                }
                None => {
                    let _ = writeln!(w, "| {} | – | – | 0 |", m.month);
                }
            }
        }
        let _ = writeln!(w);
    }
}

fn markdown_why(w: &mut String, r: &MonthlyReport) {
    for change in &r.why_it_moved {
        let _ = writeln!(
            w,
            "## Why {} moved: {:.1} → {:.1} ({:+.2} points since {})\n",
            change.kind.name(),
            change.before,
            change.after,
            change.total_change,
            change.from_month
        );
        let _ = writeln!(w, "Method: {}\n", change.method);
        let _ = writeln!(
            w,
            "| theme | share before | share after | mix | rate | contribution |\n|---|---:|---:|---:|---:|---:|"
        );
        for c in &change.contributions {
            let _ = writeln!(
                w,
                "| {} | {:.1}% | {:.1}% | {:+.2} | {:+.2} | {:+.2} |",
                cell(&c.group),
                100.0 * c.share_before,
                100.0 * c.share_after,
                c.mix,
                c.rate,
                c.total
            );
        }
        let _ = writeln!(
            w,
            "| **total** | | | | | **{:+.2}** |\n",
            change.total_change
        );
    }
}

fn markdown_issues(w: &mut String, r: &MonthlyReport) {
    let i = &r.issues;
    let _ = writeln!(w, "## Chronic issues (window {})\n", i.window);
    if i.themes.is_empty() {
        let _ = writeln!(w, "No theme is listed.\n");
    } else {
        let _ = writeln!(
            w,
            "| # | theme | label | since last month | items | customers | NPS impact | revenue at risk |\n|---:|---|---|---|---:|---:|---:|---|"
        );
        for t in &i.themes {
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                t.rank,
                cell(&t.theme),
                t.label,
                movement_text(t),
                thousands(t.volume),
                thousands(t.customers),
                t.nps_impact.map_or("–".into(), |v| format!("{v:+.1}")),
                money_list(&t.revenue_at_risk)
            );
        }
        let _ = writeln!(w);
    }
    if !i.resolved.is_empty() {
        let list: Vec<String> = i
            .resolved
            .iter()
            .map(|t| format!("{} (was #{})", t.theme, t.previous_rank))
            .collect();
        let _ = writeln!(w, "No longer listed: {}.\n", list.join(", "));
    }
}

/// "new", "rising (was #4)", "falling (was #1)", "steady".
pub fn movement_text(t: &IssueLine) -> String {
    match t.previous_rank {
        Some(p) if t.movement != Movement::Steady => format!("{} (was #{p})", t.movement.as_str()),
        _ => t.movement.as_str().to_owned(),
    }
}

/// "1,200.00 USD, 300.00 EUR" or "–".
pub fn money_list(amounts: &[Amount]) -> String {
    if amounts.is_empty() {
        return "–".to_owned();
    }
    amounts
        .iter()
        .map(|a| a.text.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn markdown_plan(w: &mut String, r: &MonthlyReport) {
    let p = &r.action_plan;
    let _ = writeln!(w, "## Action plans (as of {})\n", p.as_of);
    if p.issues.is_empty() {
        let _ = writeln!(w, "No workflow issue is about this unit's themes.\n");
    } else {
        let _ = writeln!(
            w,
            "| issue | status | actions done | late | verification |\n|---|---|---:|---:|---|"
        );
        for i in &p.issues {
            let _ = writeln!(
                w,
                "| {} {} | {} | {} of {} | {} | {} |",
                i.id,
                cell(&i.title),
                i.status,
                i.actions_done,
                i.actions_total,
                i.actions_late,
                i.verification.as_ref().map_or("–".into(), |v| format!(
                    "{} (fix {})",
                    v.verdict, v.fixed_on
                ))
            );
        }
        let _ = writeln!(w);
    }
    if p.missed.is_empty() {
        let _ = writeln!(w, "No missed commitment.\n");
    } else {
        let _ = writeln!(w, "Missed commitments:\n");
        for d in &p.missed {
            for a in &d.actions {
                let _ = writeln!(
                    w,
                    "- {}: action {} of issue {} ({}), due {}, {} days late{}",
                    d.department,
                    a.action,
                    a.issue,
                    a.what,
                    a.due,
                    a.days_late,
                    a.met_on
                        .as_ref()
                        .map_or(", still open".into(), |m| format!(", met {m}"))
                );
            }
        }
        let _ = writeln!(w);
    }
    for f in &p.verified_fixes {
        let _ = writeln!(
            w,
            "Verified fix: issue {} ({}), fixed {}{}.",
            f.issue,
            f.title,
            f.fixed_on,
            f.rate_ratio
                .map_or(String::new(), |r| format!(", rate ratio {r:.2}"))
        );
    }
    if !p.verified_fixes.is_empty() {
        let _ = writeln!(w);
    }
}

fn markdown_loop(w: &mut String, r: &MonthlyReport) {
    let l = &r.loop_closure;
    let _ = writeln!(w, "## Closing the loop\n");
    let _ = writeln!(
        w,
        "- follow-ups opened: {}, closed: {} ({} within SLA, {} late); open past SLA at the month's end: {}",
        l.cases_opened, l.cases_closed, l.closed_within_sla, l.closed_late, l.open_past_sla
    );
    let _ = writeln!(
        w,
        "- first-contact resolution: {}",
        first_contact_text(l.first_contact_resolution)
    );
    let _ = writeln!(w, "- announcements made: {}", l.announcements.len());
    let _ = writeln!(
        w,
        "- progress reports due this month: {}, published: {}, overdue: {}\n",
        l.progress_reports_due, l.progress_reports_published, l.progress_reports_overdue
    );
}

fn markdown_annuity(w: &mut String, r: &MonthlyReport) {
    let a = &r.annuity;
    let _ = writeln!(w, "## Annuity ledger\n");
    let _ = writeln!(
        w,
        "Cost per contact: {} ({}).\n",
        a.cost_per_contact.text,
        cost_source_text(&a.cost_source)
    );
    if a.fixes.is_empty() {
        let _ = writeln!(w, "No verified fix saves contacts in this unit yet.\n");
        return;
    }
    let _ = writeln!(
        w,
        "| issue | theme | fixed | per 1,000 before | after | contacts avoided a month | months | per year | to date |\n|---:|---|---|---:|---:|---:|---:|---:|---:|"
    );
    for f in &a.fixes {
        let _ = writeln!(
            w,
            "| {} | {} | {} | {:.1} | {:.1} | {:.1} | {} | {} | {} |",
            f.issue,
            cell(&f.theme),
            f.fixed_on,
            f.rate_before,
            f.rate_after,
            f.contacts_avoided_per_month,
            f.months_since,
            f.per_year.text,
            f.to_date.text
        );
    }
    let _ = writeln!(
        w,
        "\nTotal: {} a year; {} to date.\n",
        a.total_per_year.text, a.total_to_date.text
    );
}

/// "the default; set another with --cost-per-contact" or "given".
pub fn cost_source_text(source: &str) -> &'static str {
    if source == "default" {
        "the default; give another with --cost-per-contact"
    } else {
        "as given"
    }
}

/// The report as CSV, one figure per row: `section,subject,measure,value`.
pub fn csv(r: &MonthlyReport) -> String {
    let mut rows: Vec<[String; 4]> = Vec::new();
    let mut row = |section: &str, subject: &str, measure: &str, value: String| {
        rows.push([section.into(), subject.into(), measure.into(), value]);
    };
    row("report", &r.business_unit, "month", r.month.clone());
    row("report", &r.business_unit, "items", r.items.to_string());
    for s in &r.scores {
        for (measure, v) in [
            ("value", s.estimate.value),
            ("ci_low", s.estimate.ci_low),
            ("ci_high", s.estimate.ci_high),
        ] {
            row("score", &s.name, measure, v.to_string());
        }
        row("score", &s.name, "n", s.estimate.n.to_string());
        for (label, test) in [
            ("vs_previous_month", &s.vs_previous_month),
            ("vs_year_before", &s.vs_year_before),
        ] {
            if let Some(t) = test {
                row(
                    "score",
                    &s.name,
                    &format!("{label}_difference"),
                    t.comparison.difference.to_string(),
                );
                row(
                    "score",
                    &s.name,
                    &format!("{label}_p_value"),
                    t.comparison.p_value.to_string(),
                );
            }
        }
        for m in &s.trend {
            if let Some(e) = &m.estimate {
                row("trend", &s.name, &m.month, e.value.to_string());
            }
        }
    }
    for c in &r.why_it_moved {
        let section = format!("why_{}_moved", c.kind.name());
        row(&section, "", "total_change", c.total_change.to_string());
        for k in &c.contributions {
            row(&section, &k.group, "contribution", k.total.to_string());
        }
    }
    for t in &r.issues.themes {
        row("issue", &t.theme, "rank", t.rank.to_string());
        row("issue", &t.theme, "movement", t.movement.as_str().into());
        row("issue", &t.theme, "volume", t.volume.to_string());
        if let Some(v) = t.nps_impact {
            row("issue", &t.theme, "nps_impact", v.to_string());
        }
        for m in &t.revenue_at_risk {
            row(
                "issue",
                &t.theme,
                &format!("revenue_at_risk_{}", m.currency),
                format!("{:.2}", m.minor as f64 / 100.0),
            );
        }
    }
    for t in &r.issues.resolved {
        row("issue", &t.theme, "movement", "resolved".into());
    }
    for d in &r.action_plan.missed {
        for a in &d.actions {
            row(
                "missed",
                &d.department,
                &format!("action_{}_days_late", a.action),
                a.days_late.to_string(),
            );
        }
    }
    let l = &r.loop_closure;
    for (measure, v) in [
        ("cases_opened", l.cases_opened),
        ("cases_closed", l.cases_closed),
        ("closed_within_sla", l.closed_within_sla),
        ("open_past_sla", l.open_past_sla),
        ("announcements", l.announcements.len() as u64),
        ("progress_reports_due", l.progress_reports_due),
        ("progress_reports_published", l.progress_reports_published),
    ] {
        row("loop", "", measure, v.to_string());
    }
    row(
        "loop",
        "",
        "first_contact_resolution",
        first_contact_text(l.first_contact_resolution),
    );
    row(
        "coverage",
        "",
        "share",
        r.coverage.share.map_or(String::new(), |s| s.to_string()),
    );
    for t in &r.coverage.new_themes {
        row("coverage", &t.theme, "new_theme_items", t.items.to_string());
    }
    let a = &r.annuity;
    row(
        "annuity",
        "",
        "cost_per_contact",
        a.cost_per_contact.text.clone(),
    );
    for f in &a.fixes {
        row(
            "annuity",
            &f.theme,
            "contacts_avoided_per_month",
            f.contacts_avoided_per_month.to_string(),
        );
        row("annuity", &f.theme, "per_year", f.per_year.text.clone());
        row("annuity", &f.theme, "to_date", f.to_date.text.clone());
    }
    row(
        "annuity",
        "",
        "total_per_year",
        a.total_per_year.text.clone(),
    );
    row("annuity", "", "total_to_date", a.total_to_date.text.clone());
    let mut out = String::from("section,subject,measure,value\n");
    for r in rows {
        let fields: Vec<String> = r.iter().map(|f| csv_field(f)).collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// A CSV field, quoted when it holds a comma, a quote or a line break; a leading `=`, `+`,
/// `-` or `@` of text (not a number) gets a `'` so a spreadsheet does not run it as a formula.
fn csv_field(field: &str) -> String {
    let formula = field.starts_with(['=', '+', '@'])
        || (field.starts_with('-') && field.parse::<f64>().is_err());
    let field = if formula {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
        assert_eq!(csv_field("-2.5"), "-2.5");
    }
}
