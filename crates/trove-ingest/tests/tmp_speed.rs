//! temporary
#[test]
fn speed() {
    use std::time::Instant;
    let plain = "the agent on the phone was helpful and fixed everything in one call; also the bill went up (12 days).";
    let sets: Vec<(&str, Vec<String>)> = vec![
        ("plain text, no digits", vec![plain.to_string()]),
        ("bench rows (1/6 e-mail, 1/6 phone, 1/6 card)", [
            "", " You can reach me at jane.doe@example.com.", " Call me on (555) 123-4567 please.",
            " My card 4111 1111 1111 1111 was charged twice.", "", "",
        ].iter().map(|c| format!("{plain} on 2025-03-04 at 10:20{c}")).collect()),
        ("date only", vec![format!("{plain} on 2025-03-04 at 10:20")]),
        ("date no at", vec![format!("{plain} on 2025-03-04 10:20")]),
        ("email", vec![format!("{plain} on 2025-03-04 at 10:20 You can reach me at jane.doe@example.com.")]),
        ("phone", vec![format!("{plain} on 2025-03-04 at 10:20 Call me on (555) 123-4567 please.")]),
        ("card", vec![format!("{plain} on 2025-03-04 at 10:20 My card 4111 1111 1111 1111 was charged twice.")]),
        ("corpus positives", include_str!("pii_corpus/positives.tsv").lines().map(|l| l.split('\t').next().unwrap().to_string()).collect()),
        ("corpus look-alikes", include_str!("pii_corpus/lookalikes.txt").lines().map(str::to_string).collect()),
    ];
    for (name, texts) in sets {
        let n = 200_000 / texts.len().max(1) * texts.len();
        let t = Instant::now();
        let mut bytes = 0;
        for i in 0..n { bytes += trove_ingest::pii::mask(&texts[i % texts.len()]).len(); }
        let el = t.elapsed();
        println!("{name}: {:.0} texts/s ({:.2} µs each) {bytes}", n as f64 / el.as_secs_f64(), el.as_secs_f64() * 1e6 / n as f64);
    }
}
