//! The monthly review by e-mail: each business unit's report goes to the unit's report
//! recipients once the month has closed.
//!
//! Trove has no "unit lead" role (leads lead departments, and a business unit is a dimension
//! of the feedback, not of the organisation chart), so who receives a unit's report is a list
//! of its own: report recipients, one record per unit and address, a person of Trove (their
//! name is taken from their record) or a plain address, `*` for every unit. Admins manage it.
//!
//! From the configured day of the following month ([`DEFAULT_SEND_DAY`] unless set), every
//! run of `trove send due` (and the scheduler in `trove serve`) makes the closed month's report
//! of each unit with recipients, keeps it in the report history, and sends it through the mail
//! outbox as the message `monthly:UNIT:YYYY-MM`: a short text and HTML body and the PDF
//! attached, each recipient claimed before sending, so never twice; failures are retried. Only
//! the month just closed is sent: a recipient added after that month's message went out gets
//! the next month's.

use std::collections::BTreeMap;

use lettre::Address;
use trove_store::{EVERY_UNIT, MailSettings, ReportRecipient};
use trove_workflow::Workflow;
use trove_workflow::doc::Doc;
use trove_workflow::model::Role;

use crate::mail::{Attachment, Outgoing};
use crate::report::MonthlyReport;
use crate::report_text::estimate_text;
use crate::{App, MailError, ReportError};

/// The day of the following month from which a month's reports are sent, unless set.
pub const DEFAULT_SEND_DAY: u8 = 2;

/// Contributions of "why it moved" the e-mail names per score.
const TOP_CONTRIBUTIONS: usize = 3;

impl App {
    /// Checks that `actor` is an admin: report recipients are theirs to manage.
    fn report_mail_admin(&self, actor: &str, what: &str) -> Result<String, MailError> {
        let state = self.workflow()?;
        let user = self.user(&state, actor)?;
        if user.role != Role::Admin {
            return Err(MailError::NotAllowed(format!(
                "{} is {}: only an admin {what}",
                user.email,
                user.role.as_str()
            )));
        }
        Ok(user.email)
    }

    /// Adds `address` as a recipient of `unit`'s monthly report ([`EVERY_UNIT`]: every
    /// unit's), as `actor` (an admin) at `at`. A person of Trove is named as in their record;
    /// a plain address may be given a `name`. False when the unit and address were there.
    pub fn add_report_recipient(
        &self,
        actor: &str,
        unit: &str,
        address: &str,
        name: Option<&str>,
        at: i64,
    ) -> Result<bool, MailError> {
        let added_by = self.report_mail_admin(actor, "chooses who receives reports")?;
        let address = address.trim().to_lowercase();
        address.parse::<Address>().map_err(|e| {
            MailError::Invalid(format!("{address:?} is not an e-mail address: {e}"))
        })?;
        let unit = self.recipient_unit(unit)?;
        let state = self.workflow()?;
        let name = state
            .users
            .get(&address)
            .map(|u| u.name.clone())
            .or_else(|| {
                name.map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned)
            });
        Ok(self.store().add_report_recipient(&ReportRecipient {
            business_unit: unit,
            address,
            name,
            added_at: at,
            added_by,
        })?)
    }

    /// Removes a recipient of `unit`'s report (an admin); false when there was none.
    pub fn remove_report_recipient(
        &self,
        actor: &str,
        unit: &str,
        address: &str,
    ) -> Result<bool, MailError> {
        self.report_mail_admin(actor, "chooses who receives reports")?;
        Ok(self
            .store()
            .remove_report_recipient(unit.trim(), &address.trim().to_lowercase())?)
    }

    /// Every report recipient, by unit (`*` first), then address.
    pub fn report_recipients(&self) -> Result<Vec<ReportRecipient>, MailError> {
        Ok(self.store().report_recipients()?)
    }

    /// The day of the following month from which a month's reports are sent.
    pub fn report_send_day(&self) -> Result<u8, MailError> {
        Ok(self.store().report_send_day()?.unwrap_or(DEFAULT_SEND_DAY))
    }

    /// Sets that day, 1 to 28 (a day every month has), as `actor` (an admin).
    pub fn set_report_send_day(&self, actor: &str, day: u8) -> Result<(), MailError> {
        self.report_mail_admin(actor, "sets when reports are sent")?;
        if !(1..=28).contains(&day) {
            return Err(MailError::Invalid(format!(
                "day {day}: choose 1 to 28, a day every month has"
            )));
        }
        Ok(self.store().set_report_send_day(day)?)
    }

    /// A unit as a recipient's: `*`, or a unit with feedback (named exactly as stored).
    fn recipient_unit(&self, unit: &str) -> Result<String, MailError> {
        let unit = unit.trim();
        if unit == EVERY_UNIT {
            return Ok(unit.to_owned());
        }
        let units = self.business_units().map_err(report_error)?;
        if units.iter().any(|u| u == unit) {
            return Ok(unit.to_owned());
        }
        Err(MailError::Invalid(format!(
            "business unit {unit:?} has no feedback; the units are: {} (or * for every unit)",
            units.join(", ")
        )))
    }

    /// The monthly reports due on the day of `now`: from the send day on, the month before's
    /// report of each unit with recipients, unless its message is `finished`. On a dry run the
    /// report is not made (nothing is recorded), so the messages carry no body.
    pub(crate) fn monthly_reports_due(
        &self,
        now: i64,
        finished: &std::collections::HashSet<String>,
        settings: Option<&MailSettings>,
        dry_run: bool,
    ) -> Result<Vec<Outgoing>, MailError> {
        let today = Workflow::day_of(now);
        if today.day() < i8::try_from(self.report_send_day()?).unwrap_or(i8::MAX) {
            return Ok(Vec::new());
        }
        let Some(month) = month_before(today) else {
            return Ok(Vec::new());
        };
        let recipients = self.report_recipients()?;
        if recipients.is_empty() {
            return Ok(Vec::new());
        }
        let mut due = Vec::new();
        for unit in self.business_units().map_err(report_error)? {
            let to = recipients_of(&recipients, &unit);
            let key = crate::mail::MessageKind::Monthly.key(format_args!("{unit}:{month}"));
            if to.is_empty() || finished.contains(&key) {
                continue;
            }
            let subject = format!("{unit}: the monthly review of {month}");
            let (doc, attachment) = if dry_run {
                (Doc::default(), None)
            } else {
                let report = self.closed_month_report(&unit, &month, now)?;
                let link = settings.map_or_else(String::new, |s| {
                    format!("{}/reports/{}/{month}", s.public_url, path_segment(&unit))
                });
                let pdf =
                    crate::report_pdf(&report).map_err(|e| MailError::Report(e.to_string()))?;
                (
                    report_letter(&report, &link),
                    Some(Attachment {
                        name: format!("{}-{month}.pdf", file_stem(&unit)),
                        content_type: "application/pdf",
                        bytes: pdf,
                    }),
                )
            };
            due.push(Outgoing {
                key,
                subject,
                doc,
                recipients: to,
                customers: false,
                attachment,
            });
        }
        Ok(due)
    }

    /// The unit's report of a closed month: the kept one when it was made after the month
    /// ended (a retry sends what the first attempt sent), else made now and kept.
    fn closed_month_report(
        &self,
        unit: &str,
        month: &str,
        now: i64,
    ) -> Result<MonthlyReport, MailError> {
        let month_end = crate::parse_month(month)
            .map(|index| {
                trove_analytics::trend::period_start(
                    index + 1,
                    trove_analytics::trend::PeriodKind::Month,
                )
            })
            .map_err(report_error)?;
        if let Some(kept) = self.kept_report(unit, month).map_err(report_error)?
            && kept.generated_at >= month_end
        {
            return Ok(kept);
        }
        let report = self
            .monthly_report(unit, month, None, now)
            .map_err(report_error)?;
        self.keep_report(&report).map_err(report_error)?;
        Ok(report)
    }
}

fn report_error(error: ReportError) -> MailError {
    MailError::Report(error.to_string())
}

/// `YYYY-MM` of the month before `day`'s.
fn month_before(day: jiff::civil::Date) -> Option<String> {
    let first = day.first_of_month().yesterday().ok()?;
    Some(format!("{:04}-{:02}", first.year(), first.month()))
}

/// The recipients of `unit`'s report: its own and those of every unit, each address once
/// (a name given anywhere kept).
fn recipients_of(recipients: &[ReportRecipient], unit: &str) -> Vec<(String, String)> {
    let mut to: BTreeMap<String, String> = BTreeMap::new();
    for r in recipients
        .iter()
        .filter(|r| r.business_unit == unit || r.business_unit == EVERY_UNIT)
    {
        let name = to.entry(r.address.clone()).or_default();
        if name.is_empty() {
            *name = r.name.clone().unwrap_or_default();
        }
    }
    to.into_iter().collect()
}

/// The e-mail's body: the scores and their change, the largest contributions of why they
/// moved, the missed commitments, and the link to the whole report.
fn report_letter(report: &MonthlyReport, link: &str) -> Doc {
    let mut doc = Doc::default();
    doc.para(format!(
        "The monthly review of {} for {}: {} items from every source. The whole report is attached as a PDF.",
        report.business_unit,
        report.month,
        trove_analytics::chronic::thousands(report.items)
    ));
    let mut scores = Vec::new();
    for s in &report.scores {
        let change = match &s.vs_previous_month {
            Some(t) => format!(
                "; {:+.1} points since {} ({})",
                t.comparison.difference,
                t.month,
                if t.comparison.significant {
                    "significant at 95%"
                } else {
                    "not significant"
                }
            ),
            None => String::new(),
        };
        scores.push(format!(
            "{}: {}{change}",
            s.name,
            estimate_text(&s.estimate)
        ));
    }
    doc.list(scores, "No score was answered this month.");
    for change in &report.why_it_moved {
        let mut largest: Vec<_> = change
            .all_contributions
            .iter()
            .filter(|c| c.group != trove_analytics::change::OTHER_AND_UNTAGGED)
            .collect();
        largest.sort_by(|a, b| b.total.abs().total_cmp(&a.total.abs()));
        doc.para(format!(
            "Why {} moved ({:+.2} points since {}), the largest contributions:",
            change.kind.name(),
            change.total_change,
            change.from_month
        ));
        doc.list(
            largest
                .iter()
                .take(TOP_CONTRIBUTIONS)
                .map(|c| format!("{}: {:+.2} points", c.group, c.total))
                .collect(),
            "no theme contributed",
        );
    }
    let missed: usize = report
        .action_plan
        .missed
        .iter()
        .map(|d| d.actions.len())
        .sum();
    let by_department: Vec<String> = report
        .action_plan
        .missed
        .iter()
        .map(|d| format!("{} {}", d.department, d.actions.len()))
        .collect();
    doc.para(if missed == 0 {
        "Missed commitments: none.".to_owned()
    } else {
        format!(
            "Missed commitments: {missed} ({}).",
            by_department.join(", ")
        )
    });
    if !link.is_empty() {
        doc.para(format!("Read it in Trove: {link}"));
    }
    doc
}

/// Percent-encodes a path segment (everything but unreserved characters), as `/reports` does.
fn path_segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A unit's name as a file name: letters and digits kept (lowercase), the rest `-`.
fn file_stem(unit: &str) -> String {
    let stem: String = unit
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    stem.trim_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn recipient(unit: &str, address: &str, name: Option<&str>) -> ReportRecipient {
        ReportRecipient {
            business_unit: unit.into(),
            address: address.into(),
            name: name.map(str::to_owned),
            added_at: 0,
            added_by: "ada@example.com".into(),
        }
    }

    #[test]
    fn a_units_recipients_are_its_own_and_everyones_each_once() {
        let all = [
            recipient("*", "ann@example.com", None),
            recipient("Home", "bob@example.com", None),
            recipient("Motor", "ann@example.com", Some("Ann Lee")),
            recipient("Motor", "cy@example.com", None),
        ];
        assert_eq!(
            recipients_of(&all, "Motor"),
            vec![
                ("ann@example.com".to_owned(), "Ann Lee".to_owned()),
                ("cy@example.com".to_owned(), String::new())
            ]
        );
        assert_eq!(
            recipients_of(&all, "Travel"),
            vec![("ann@example.com".to_owned(), String::new())]
        );
        assert!(recipients_of(&all[1..2], "Motor").is_empty());
    }

    #[test]
    fn the_month_before_crosses_the_year_and_units_make_safe_links_and_files() {
        assert_eq!(
            month_before(jiff::civil::date(2027, 1, 2)).unwrap(),
            "2026-12"
        );
        assert_eq!(
            month_before(jiff::civil::date(2026, 11, 30)).unwrap(),
            "2026-10"
        );
        assert_eq!(path_segment("Home & Motor/UK"), "Home%20%26%20Motor%2FUK");
        assert_eq!(file_stem("Home & Motor"), "home---motor");
    }
}
