//! Trove's statistics (and, later, text analytics): pure, synchronous and deterministic.
//!
//! Functions work over sufficient statistics (such as [`trove_domain::ScoreTally`]) rather than
//! raw rows, so the same code serves an in-memory tally and a database `GROUP BY`. This crate
//! depends only on `trove-domain`: no IO, no database, no async.
//!
//! - [`scores`]: NPS, CSAT, CES with 95% intervals, and two-sample tests
//!   ([`scores::Comparison`]) that flag a change as significant at 5% or not;
//! - [`trend`]: UTC day / ISO week / month periods and share series of themes;
//! - [`spikes`]: spikes (robust z, Poisson tail, weekly seasonality) and sustained shifts
//!   (tabular CUSUM);
//! - [`change`]: why a score moved: its change split into per-theme contributions (mix and rate);
//! - [`chronic`]: persistence, spread (entropy), the chronic label, ranking and explanation;
//! - [`impact`]: NPS / CSAT impact of a theme, key drivers (Shapley value of R²), Pareto;
//! - [`drivers`]: key drivers with support, direction and bootstrap intervals, on any score;
//! - [`revenue`]: revenue at risk of distinct customers, per currency;
//! - [`verify`]: fix verification (Poisson rate ratio), time to resolve, annuity;
//! - [`analysis`]: the whole chronic analysis of a data set in one pass over compact item facts;
//! - [`sampling`]: stratified survey samples (proportional / Neyman allocation, largest-remainder
//!   rounding, seeded draws) and the design-weighted NPS with its stratified variance;
//! - [`dist`]: the normal, Poisson and t distribution functions the tests use.

pub mod analysis;
pub mod change;
pub mod chronic;
pub mod dist;
pub mod drivers;
pub mod impact;
pub mod repeats;
pub mod revenue;
pub mod sampling;
pub mod scores;
pub mod spikes;
pub mod trend;
pub mod verify;
