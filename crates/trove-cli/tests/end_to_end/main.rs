//! Trove's end-to-end tests: the built `trove` binary run on real databases and real files, and
//! its web server asked over real HTTP. Each file here is a module of this one test binary (one
//! file's tests: `cargo test -p trove-cli --test end_to_end web_room::`), so that the tests are
//! compiled and linked once rather than once a file, and run two at a time from start to end
//! rather than binary after binary.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

mod analysis;
mod analysis_runs;
mod assess;
mod classify;
mod cli;
mod clickhouse;
mod contention;
mod cues;
mod demo_room;
mod discover;
mod embed;
mod eval;
mod exports;
mod files;
mod imports;
mod kept_results;
mod labels;
mod mail;
mod narratives;
mod report;
mod sample;
mod scores;
mod sentiment;
mod serve;
mod taxonomy;
mod web_api;
mod web_artifacts;
mod web_assess;
mod web_discovery;
mod web_exports;
mod web_form;
mod web_issues;
mod web_items;
mod web_label;
mod web_moments;
mod web_ops;
mod web_reports;
mod web_room;
mod web_samples;
mod web_stories;
mod web_suggestions;
mod web_tokens;
mod web_webhooks;
mod workflow;

/// A file of this folder that no `mod` line names is silently not compiled: this test fails
/// instead.
#[test]
fn every_file_of_this_folder_is_a_module_of_this_binary() {
    let main = include_str!("main.rs");
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/end_to_end");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&folder).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(module) = name.strip_suffix(".rs")
            && module != "main"
            && !main.contains(&format!("\nmod {module};\n"))
        {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "not named by a `mod` line in main.rs: {missing:?}"
    );
}
