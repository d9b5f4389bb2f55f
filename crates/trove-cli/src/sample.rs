//! `trove sample`: stratified survey samples. Without a subcommand it draws one (and records
//! it as a wave); `waves`, `list`, `estimate` and `opt-out` read and manage them.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};
use trove_analytics::sampling::Allocation;
use trove_app::{App, DrawnSample, SampleSpec, StratumBy, WaveEstimate};
use trove_store::{Invitation, Wave};

use crate::db::DbUrl;
use crate::workflow::Session;

/// How `trove sample` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SampleFormat {
    /// A table for a person.
    #[value(alias = "human")]
    Table,
    /// One JSON document.
    Json,
}

/// The allocation methods, as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AllocationArg {
    /// n_h = n·N_h/N.
    Proportional,
    /// n_h = n·N_h·S_h / Σ N_h·S_h, S_h from past NPS answers.
    Neyman,
}

/// The score whose past answers give Neyman's standard deviations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByScore {
    /// Net Promoter answers, scored +1 / 0 / −1.
    Nps,
}

/// `trove sample ...`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SampleArgs {
    #[command(subcommand)]
    command: Option<SampleCommand>,
    #[command(flatten)]
    draw: DrawArgs,
}

impl SampleArgs {
    /// Whether the command records anything.
    pub fn changes(&self) -> bool {
        match &self.command {
            None => !self.draw.dry_run,
            Some(command) => matches!(command, SampleCommand::OptOut { .. }),
        }
    }
}

/// Drawing a sample.
#[derive(Debug, Args)]
struct DrawArgs {
    /// How many customers to invite.
    #[arg(long)]
    n: Option<u64>,
    /// The attributes whose combinations are the strata, comma-separated: segment, region,
    /// business-unit, value-band (thirds of lifetime value).
    #[arg(long, value_delimiter = ',')]
    strata: Vec<String>,
    /// How to spread the sample over the strata.
    #[arg(long, value_enum, default_value = "proportional")]
    allocation: AllocationArg,
    /// The score whose past answers give Neyman's standard deviations.
    #[arg(long, value_enum, default_value = "nps")]
    by_score: ByScore,
    /// Leave out customers invited by a wave drawn within this many days.
    #[arg(long, default_value_t = 90)]
    quarantine_days: u32,
    /// An invitee's first NPS answer within this many days after the draw is their answer.
    #[arg(long, default_value_t = 60)]
    answer_window_days: u32,
    /// The seed of the draw (the same seed on the same customers draws the same sample).
    #[arg(long)]
    seed: Option<u64>,
    /// Write the invited customers here (CSV: customer_id, stratum, weight).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Show the allocation and who would be drawn without recording a wave.
    #[arg(long)]
    dry_run: bool,
    /// How to print the allocation.
    #[arg(long, value_enum, default_value = "table")]
    format: SampleFormat,
}

#[derive(Debug, Subcommand)]
enum SampleCommand {
    /// The recorded waves, newest first.
    Waves {
        /// How to print.
        #[arg(long, value_enum, default_value = "table")]
        format: SampleFormat,
    },
    /// A wave's invited customers as CSV (customer_id, stratum, weight).
    List {
        /// The wave's number.
        #[arg(long)]
        wave: i64,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// A wave's design-weighted NPS from the answers received within its window, with its
    /// 95% interval.
    Estimate {
        /// The wave's number.
        #[arg(long)]
        wave: i64,
        /// How to print.
        #[arg(long, value_enum, default_value = "table")]
        format: SampleFormat,
    },
    /// Record that a customer asked not to be surveyed: no later sample draws them.
    OptOut {
        /// The customer's id.
        customer: String,
    },
}

/// Runs `trove sample`.
pub fn run(url: &DbUrl, args: &SampleArgs, session: &Session) -> Result<ExitCode> {
    let app = App::new(url.open()?);
    match &args.command {
        None => draw(&app, &args.draw, session),
        Some(SampleCommand::Waves { format }) => {
            let waves = app.store().waves()?;
            match format {
                SampleFormat::Json => println!("{}", serde_json::to_string_pretty(&waves)?),
                SampleFormat::Table => print_waves(&waves),
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(SampleCommand::List { wave, out }) => {
            app.wave(*wave)?;
            let invitations = app.store().invitations(*wave)?;
            write_list(out.as_ref(), &invitations)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(SampleCommand::Estimate { wave, format }) => {
            show_estimate(&app, *wave, *format == SampleFormat::Json)
        }
        Some(SampleCommand::OptOut { customer }) => {
            if app.opt_out_of_surveys(customer, session.clock)? {
                println!("customer {customer} will not be drawn for surveys any more");
            } else {
                println!("customer {customer} had already opted out of surveys");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn draw(app: &App, args: &DrawArgs, session: &Session) -> Result<ExitCode> {
    let n = args.n.context(
        "say how many customers to draw: --n N (or a subcommand: waves, list, estimate, opt-out)",
    )?;
    let Some(seed) = args.seed else {
        bail!(
            "--seed S is needed: the same seed draws the same sample, so a draw can be repeated and checked"
        );
    };
    // NPS is the only score a wave is estimated on so far.
    let ByScore::Nps = args.by_score;
    if args.strata.is_empty() {
        bail!("--strata: name the attributes of the strata, e.g. --strata segment,region");
    }
    let spec = SampleSpec {
        n,
        strata: args
            .strata
            .iter()
            .map(|s| StratumBy::parse(s))
            .collect::<Result<_, _>>()?,
        allocation: match args.allocation {
            AllocationArg::Proportional => Allocation::Proportional,
            AllocationArg::Neyman => Allocation::Neyman,
        },
        quarantine_days: i64::from(args.quarantine_days),
        answer_window_days: i64::from(args.answer_window_days),
        seed,
    };
    let drawn = app.draw_sample(&spec, session.actor.as_deref(), session.clock, args.dry_run)?;
    if let Some(out) = &args.out {
        write_list(Some(out), &drawn.invitations)?;
    }
    match args.format {
        SampleFormat::Json => println!("{}", serde_json::to_string_pretty(&plan_json(&drawn))?),
        SampleFormat::Table => print_plan(&drawn, args.out.as_ref()),
    }
    Ok(ExitCode::SUCCESS)
}

/// The JSON of a draw: the wave's number and the plan, without the list (`--out` has it).
fn plan_json(drawn: &DrawnSample) -> serde_json::Value {
    serde_json::json!({ "wave": drawn.wave, "plan": drawn.plan, "invited": drawn.invitations.len() })
}

fn write_list(out: Option<&PathBuf>, invitations: &[Invitation]) -> Result<()> {
    let sink: Box<dyn Write> = match out {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut csv = csv::Writer::from_writer(sink);
    csv.write_record(["customer_id", "stratum", "weight"])?;
    for invitation in invitations {
        csv.write_record([
            invitation.customer_id.as_str(),
            invitation.stratum.as_str(),
            &format!("{:.6}", invitation.weight),
        ])?;
    }
    csv.flush()?;
    Ok(())
}

fn number(value: f64, decimals: usize) -> Cell {
    Cell::new(format!("{value:.decimals$}")).set_alignment(CellAlignment::Right)
}

fn count(value: u64) -> Cell {
    Cell::new(value).set_alignment(CellAlignment::Right)
}

fn print_plan(drawn: &DrawnSample, out: Option<&PathBuf>) {
    let plan = &drawn.plan;
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "stratum",
        "population N_h",
        "past answers",
        "S_h",
        "sample n_h",
        "weight N_h/n_h",
    ]);
    for row in &plan.rows {
        table.add_row([
            Cell::new(&row.stratum),
            count(row.population),
            count(row.past_answers),
            row.deviation
                .map_or_else(|| Cell::new("–"), |s| number(s, 3)),
            count(row.sample),
            row.weight.map_or_else(|| Cell::new("–"), |w| number(w, 2)),
        ]);
    }
    let population: u64 = plan.rows.iter().map(|r| r.population).sum();
    table.add_row([
        Cell::new("total"),
        count(population),
        count(plan.rows.iter().map(|r| r.past_answers).sum()),
        Cell::new(""),
        count(plan.n),
        Cell::new(""),
    ]);
    println!(
        "{} allocation of {} customers over {} strata ({}), seed {}",
        plan.used.as_str(),
        plan.n,
        plan.rows.len(),
        plan.strata_by
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        plan.seed
    );
    println!("{table}");
    println!(
        "{} customers stored; left out: {} churned, {} opted out, {} invited within {} days",
        plan.customers, plan.churned, plan.opted_out, plan.quarantined, plan.quarantine_days
    );
    if let Some((middle, high, currency)) = &plan.value_cuts {
        let amount = |minor: i64| match trove_domain::Currency::parse(currency) {
            Ok(currency) => trove_domain::Money::from_minor(minor, currency).to_string(),
            Err(_) => format!("{minor} (minor units)"),
        };
        println!(
            "value bands (lifetime value): low below {}, middle below {}, high from there",
            amount(*middle),
            amount(*high)
        );
    }
    for note in &plan.notes {
        println!("note: {note}");
    }
    match drawn.wave {
        Some(wave) => println!(
            "recorded as wave {wave}: {} invited; answers within {} days count for it (`trove sample estimate --wave {wave}`)",
            drawn.invitations.len(),
            plan.answer_window_days
        ),
        None => println!("dry run: no wave recorded"),
    }
    match out {
        Some(path) => println!("the list is in {}", path.display()),
        None if drawn.wave.is_some() => println!(
            "the list: `trove sample list --wave {} --out FILE`",
            drawn.wave.unwrap_or_default()
        ),
        None => {}
    }
}

fn day(at: i64) -> String {
    jiff::Timestamp::from_second(at).map_or_else(
        |_| at.to_string(),
        |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

fn print_waves(waves: &[Wave]) {
    if waves.is_empty() {
        println!("no sample waves yet: `trove sample --n N --strata segment --seed S` draws one");
        return;
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "wave",
        "drawn",
        "by",
        "invited",
        "seed",
        "quarantine (days)",
        "answer window (days)",
    ]);
    for wave in waves {
        table.add_row([
            count(wave.id.max(0) as u64),
            Cell::new(day(wave.drawn_at)),
            Cell::new(wave.drawn_by.as_deref().unwrap_or("–")),
            count(wave.invited),
            Cell::new(&wave.seed),
            count(wave.quarantine_days.max(0) as u64),
            count(wave.answer_window_days.max(0) as u64),
        ]);
    }
    println!("{table}");
}

/// A wave's estimate, printed as a table or JSON (`trove sample estimate`, `trove scores --wave`).
pub fn show_estimate(app: &App, wave: i64, json: bool) -> Result<ExitCode> {
    let estimate = app.wave_estimate(wave)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&estimate)?);
    } else {
        print_estimate(&estimate);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_estimate(estimate: &WaveEstimate) {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "stratum",
        "population N_h",
        "invited",
        "answered",
        "NPS",
    ]);
    for stratum in &estimate.strata {
        table.add_row([
            Cell::new(&stratum.stratum),
            count(stratum.population),
            count(stratum.invited),
            count(stratum.respondents),
            stratum.nps.map_or_else(|| Cell::new("–"), |v| number(v, 1)),
        ]);
    }
    println!(
        "wave {} drawn {}; answers counted from then until {}",
        estimate.wave.id,
        day(estimate.wave.drawn_at),
        day(estimate.window_end)
    );
    println!("{table}");
    let Some(result) = &estimate.estimate else {
        println!("no answers yet: no estimate");
        return;
    };
    match (result.standard_error, result.ci_low, result.ci_high) {
        (Some(se), Some(low), Some(high)) => println!(
            "weighted NPS {:.1} (95% CI {low:.1} to {high:.1}, standard error {se:.1}) from {} answers",
            result.nps, result.respondents
        ),
        _ => println!(
            "weighted NPS {:.1} from {} answers; no interval: a stratum has a single answer",
            result.nps, result.respondents
        ),
    }
    if let Some(plain) = &estimate.unweighted {
        println!(
            "unweighted NPS {:.1} (95% CI {:.1} to {:.1}) from the same answers, every respondent counted once",
            plain.value, plain.ci_low, plain.ci_high
        );
    }
    if !result.strata_without_answers.is_empty() {
        println!(
            "note: {} strata have no answer yet; the estimate covers {:.0}% of the population",
            result.strata_without_answers.len(),
            100.0 * result.covered
        );
    }
}
