//! Classification throughput on 1,000,000 real short texts (banking77 questions and airline
//! tweets from `/work/shared/data`, cycled), on one and on two threads, with a model trained
//! on banking77.
//! The target is 50,000 items/s:
//! `cargo test -p trove-learn --release --test throughput -- --ignored --nocapture`.

use std::path::Path;
use std::time::Instant;

use trove_learn::{Classifier, TrainOptions};

fn column(path: &Path, name: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_path(path).expect("readable CSV");
    let index = reader
        .headers()
        .expect("a header")
        .iter()
        .position(|h| h == name)
        .expect("the column");
    reader
        .records()
        .map(|r| r.expect("a CSV record")[index].to_owned())
        .collect()
}

/// The process's user + system CPU time (Linux: `/proc/self/stat`, in 1/100 s).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    // Fields 14 and 15 of the whole line are 12 and 13 after the name (state is field 3).
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

#[test]
#[ignore = "a benchmark: run in release with --ignored --nocapture"]
fn classifies_a_million_real_texts() {
    let data = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    if !data.join("banking77/train.csv").exists()
        || !data.join("airline-tweets/Tweets.csv").exists()
    {
        eprintln!("skipped: {} is absent", data.display());
        return;
    }
    let texts = column(&data.join("banking77/train.csv"), "text");
    let labels = column(&data.join("banking77/train.csv"), "category");
    let model = Classifier::train(&texts, &labels, &TrainOptions::default()).expect("trains");
    let mut pool = column(&data.join("banking77/test.csv"), "text");
    pool.extend(column(&data.join("airline-tweets/Tweets.csv"), "text"));
    let n = 1_000_000;
    let items: Vec<&str> = pool.iter().cycle().take(n).map(String::as_str).collect();
    eprintln!(
        "{n} texts ({} distinct, mean {:.0} bytes), a model of {} classes and {} features",
        pool.len(),
        pool.iter().map(String::len).sum::<usize>() as f64 / pool.len() as f64,
        model.labels().len(),
        model.features().columns()
    );
    let mut best: f64 = 0.0;
    for threads in [1, 2] {
        let started = Instant::now();
        let cpu_before = cpu_seconds();
        let predicted = model.predict_all(&items, threads);
        let seconds = started.elapsed().as_secs_f64();
        if let (Some(a), Some(b)) = (cpu_before, cpu_seconds()) {
            // CPU time is steadier than wall time on a busy machine.
            eprintln!("  {:.0} items per CPU second", n as f64 / (b - a));
        }
        assert_eq!(predicted.len(), n);
        let rate = n as f64 / seconds;
        best = best.max(rate);
        eprintln!("{threads} thread(s): {seconds:.2} s, {rate:.0} items/s");
    }
    // A benchmark prints its figures; the machine is shared, so a timing is never a pass/fail.
    eprintln!("best: {best:.0} items/s (target: 50,000)");
}
