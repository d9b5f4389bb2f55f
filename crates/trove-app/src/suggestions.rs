//! Suggestions per theme: how many of a theme's items ask the company to do more or less, by
//! the flag stored with each item's sentiment (on import and by `trove tag --all`), counted
//! as the drill-down counts `/items?theme=ID&suggestion=yes` (each item once, a theme with its
//! descendants, themes of any origin), so the number and the list behind it agree.

use trove_store::{FeedbackFilter, ItemQuery, StoreError, ThemeOrigin};

use crate::App;
use crate::issue_pages::{Days, start_of_day};

impl App {
    /// The suggestions among `theme`'s items of `filter` received within `window`.
    pub fn theme_suggestions(
        &self,
        theme: &str,
        filter: &FeedbackFilter,
        window: Days,
    ) -> Result<u64, StoreError> {
        let query = ItemQuery {
            filter: FeedbackFilter {
                since: Some(start_of_day(window.from)),
                until: Some(start_of_day(window.to)),
                ..filter.clone()
            },
            origin: ThemeOrigin::Any,
            theme: Some(theme.to_owned()),
            suggestion: Some(true),
            ..ItemQuery::default()
        };
        self.store().count_items(&query)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a panic is the report")]

    use std::sync::Arc;

    use trove_domain::FeedbackItem;
    use trove_store::Store;

    use super::*;
    use crate::ItemsRequest;

    #[test]
    fn a_themes_suggestions_are_the_count_of_its_drill_down() {
        let store = trove_store_sqlite::SqliteStore::open_in_memory().unwrap();
        let theme = trove_domain::Label::parse("t", "Claims").unwrap();
        let items: Vec<FeedbackItem> = [(true, true), (true, false), (false, true), (true, true)]
            .iter()
            .enumerate()
            .map(|(i, &(themed, suggestion))| FeedbackItem {
                suggestion,
                source_themes: if themed {
                    vec![theme.clone()]
                } else {
                    Vec::new()
                },
                ..trove_store::contract::item("s", &i.to_string())
            })
            .collect();
        store.insert_feedback(&items, None).unwrap();
        let id = store.themes().unwrap()[0].id.as_str().to_owned();
        let app = App::new(Arc::new(store));
        let window = Days {
            from: jiff::civil::date(2025, 3, 1),
            to: jiff::civil::date(2025, 3, 2),
        };
        let count = app
            .theme_suggestions(&id, &FeedbackFilter::default(), window)
            .unwrap();
        assert_eq!(count, 2);
        let pairs: Vec<(String, String)> = [
            ("from", "2025-03-01"),
            ("to", "2025-03-02"),
            ("theme", id.as_str()),
            ("suggestion", "yes"),
        ]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
        let page = app
            .items_page(&ItemsRequest::parse(&pairs).unwrap())
            .unwrap();
        assert_eq!((page.count, page.items.len()), (2, 2));
        assert!(page.items.iter().all(|i| i.suggestion));
        // Outside the window nothing counts.
        let before = Days {
            from: jiff::civil::date(2025, 2, 1),
            to: jiff::civil::date(2025, 3, 1),
        };
        let none = app.theme_suggestions(&id, &FeedbackFilter::default(), before);
        assert_eq!(none.unwrap(), 0);
    }
}
