//! Trove's statistics (and, later, text analytics): pure, synchronous and deterministic.
//!
//! Functions work over sufficient statistics (such as [`trove_domain::ScoreTally`]) rather than
//! raw rows, so the same code serves an in-memory tally and a database `GROUP BY`. This crate
//! depends only on `trove-domain`: no IO, no database, no async.

pub mod scores;
