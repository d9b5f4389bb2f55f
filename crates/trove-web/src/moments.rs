//! `/moments`: repeat contacts as moments of truth (a customer's third contact within 30 days,
//! or another count given in the URL): the rate per month, what those contacts were about per
//! theme and stage, and one month's moments with the contacts behind each (`/items/ID`).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use trove_analytics::repeats::RepeatRule;
use trove_app::{RepeatChain, RepeatMonth, RepeatReport, RepeatRequest};

use crate::chrome::Chrome;
use crate::error::message_page;
use crate::pages::render;
use crate::session::{SignedIn, blocking};

/// The page's query.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct MomentsParams {
    month: Option<String>,
    nth: Option<usize>,
    days: Option<i64>,
    bu: Option<String>,
}

impl MomentsParams {
    fn request(&self) -> Result<RepeatRequest, String> {
        let nth = self.nth.unwrap_or(3);
        let days = self.days.unwrap_or(30);
        if !(1..=100).contains(&nth) || !(0..=366).contains(&days) {
            return Err("nth must be 1 to 100 and days 0 to 366.".to_owned());
        }
        Ok(RepeatRequest {
            rule: RepeatRule {
                nth,
                within: days * 86_400,
            },
            business_unit: self.bu.clone().filter(|b| !b.is_empty()),
            ..RepeatRequest::default()
        })
    }
}

#[derive(Template)]
#[template(path = "moments.html")]
struct MomentsPage<'a> {
    chrome: Chrome,
    report: &'a RepeatReport,
    month: Option<&'a RepeatMonth>,
    chains: Vec<&'a RepeatChain>,
    /// The query kept by links to other months ("&nth=3&days=30").
    rule_query: String,
}

impl MomentsPage<'_> {
    fn percent(&self, rate: &Option<f64>) -> String {
        rate.map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0))
    }

    fn share(&self, rate: &f64) -> String {
        format!("{:.1}%", rate * 100.0)
    }
}

/// `GET /moments`.
pub(crate) async fn page(
    State(state): State<crate::State>,
    signed_in: SignedIn,
    Query(params): Query<MomentsParams>,
) -> Result<Response, crate::error::WebError> {
    let request = match params.request() {
        Ok(request) => request,
        Err(why) => {
            return Ok(message_page(
                StatusCode::BAD_REQUEST,
                "Not understood",
                &why,
            ));
        }
    };
    let app = state.app.clone();
    let report = blocking(move || app.repeat_contacts(&request)).await?;
    let month = match params.month.as_deref() {
        None => report.months.iter().rev().find(|m| m.repeating > 0),
        Some(wanted) => match report.month(wanted) {
            Some(month) => Some(month),
            None => {
                let why = format!("No contact in {wanted}.");
                return Ok(message_page(StatusCode::NOT_FOUND, "Not found", &why));
            }
        },
    };
    let chains = month.map_or_else(Vec::new, |m| {
        report
            .chains
            .iter()
            .filter(|c| c.month == m.month)
            .collect()
    });
    let mut rule_query = format!(
        "&nth={}&days={}",
        params.nth.unwrap_or(3),
        params.days.unwrap_or(30)
    );
    if let Some(unit) = params.bu.as_deref().filter(|b| !b.is_empty()) {
        rule_query.push_str(&format!("&bu={}", crate::session::encode_query_value(unit)));
    }
    let page = render(&MomentsPage {
        chrome: Chrome::new(&signed_in, "/moments"),
        report: &report,
        month,
        chains,
        rule_query,
    })?;
    Ok(page.into_response())
}
