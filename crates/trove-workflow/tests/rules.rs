//! The rules of the loop, for each role, and the lifecycle of an issue.

use jiff::civil::{Date, date};
use trove_domain::Slug;
use trove_workflow::model::{Audience, CaseStatus, Direction, MetricValue, Role, Status, Why};
use trove_workflow::views::{self, Promise, Standing};
use trove_workflow::{Change, Event, Refusal, Workflow, check, ids, rules};

fn slug(s: &str) -> Slug {
    Slug::parse("id", s).expect("slug")
}

const TODAY: Date = date(2026, 3, 1);

/// A workflow that applies what the rules accept.
struct Log {
    state: Workflow,
    today: Date,
}

impl Log {
    fn new() -> Self {
        let mut log = Log {
            state: Workflow::default(),
            today: TODAY,
        };
        log.by(None, user("ada@x.io", Role::Admin, &[]))
            .expect("bootstrap");
        for (email, role, departments) in [
            ("ann@x.io", Role::Analyst, &[][..]),
            ("cleo@x.io", Role::Lead, &["claims"][..]),
            ("carl@x.io", Role::Member, &["claims"][..]),
            ("ivy@x.io", Role::Lead, &["it"][..]),
            ("ian@x.io", Role::Member, &["it"][..]),
            ("vic@x.io", Role::Viewer, &[][..]),
        ] {
            log.by(Some("ada@x.io"), user(email, role, departments))
                .expect("admin adds people");
        }
        log
    }

    fn by(&mut self, actor: Option<&str>, change: Change) -> Result<(), Refusal> {
        let user = actor.map(|a| self.state.users[a].clone());
        check(&self.state, user.as_ref(), self.today, &change)?;
        // Recorded on `today` (a second apart), as the real clock would.
        let midnight = self
            .today
            .to_zoned(jiff::tz::TimeZone::UTC)
            .expect("a day")
            .timestamp()
            .as_second();
        let event = Event {
            seq: self.state.seq + 1,
            at: midnight + self.state.seq,
            actor: actor.unwrap_or("trove").to_owned(),
            change,
        };
        self.state.apply(event);
        Ok(())
    }

    fn ok(&mut self, actor: &str, change: Change) {
        if let Err(refusal) = self.by(Some(actor), change) {
            panic!("{actor} was refused: {refusal}");
        }
    }

    fn refused(&mut self, actor: &str, change: Change) -> Refusal {
        let before = self.state.seq;
        let refusal = self.by(Some(actor), change).expect_err("must be refused");
        assert_eq!(self.state.seq, before, "a refused change leaves no trace");
        refusal
    }

    /// An issue owned by claims (lead) and IT, with a chain: returns (issue, chain).
    fn issue_with_chain(&mut self) -> (u32, u32) {
        let issue = ids::issue(&self.state);
        self.ok("ann@x.io", open(issue));
        self.ok("cleo@x.io", moved(issue, Status::Acknowledged));
        let chain = ids::chain(&self.state);
        self.ok("cleo@x.io", whys(chain, issue));
        (issue, chain)
    }
}

fn user(email: &str, role: Role, departments: &[&str]) -> Change {
    Change::UserAdded {
        email: email.into(),
        name: email.split('@').next().unwrap_or_default().into(),
        role,
        departments: departments.iter().map(|d| slug(d)).collect(),
    }
}

fn open(issue: u32) -> Change {
    Change::IssueOpened {
        issue,
        title: "Claim payouts are late".into(),
        themes: vec![slug("claim-payout-delay")],
        lead: slug("claims"),
        departments: vec![slug("claims"), slug("it")],
        pain: None,
    }
}

fn moved(issue: u32, to: Status) -> Change {
    Change::IssueMoved {
        issue,
        to,
        note: None,
    }
}

fn whys(chain: u32, issue: u32) -> Change {
    Change::WhysRecorded {
        chain,
        issue,
        symptom: "Payouts arrive weeks late".into(),
        whys: [
            "approval waits",
            "queue unmanaged",
            "no owner",
            "no SLA",
            "never designed",
        ]
        .map(|t| Why {
            text: t.into(),
            evidence: vec![],
        })
        .to_vec(),
        workshop_on: date(2026, 2, 20),
        participants: vec!["cleo@x.io".into(), "ivy@x.io".into()],
    }
}

fn action(action: u32, issue: u32, chain: u32, department: &str, owner: &str) -> Change {
    Change::ActionPlanned {
        action,
        issue,
        chain,
        what: "Daily queue review".into(),
        department: slug(department),
        owner: owner.into(),
        due: date(2026, 3, 15),
        public: None,
    }
}

#[test]
fn only_the_first_person_needs_nobody_and_must_be_an_admin() {
    let mut log = Log {
        state: Workflow::default(),
        today: TODAY,
    };
    let refusal = log
        .by(None, user("x@x.io", Role::Analyst, &[]))
        .unwrap_err();
    assert_eq!(refusal.rule, "first user");
    log.by(None, user("x@x.io", Role::Admin, &[]))
        .expect("first admin");
    let refusal = log.by(None, user("y@x.io", Role::Admin, &[])).unwrap_err();
    assert_eq!(refusal.rule, "sign in");
    assert_eq!(
        log.refused("x@x.io", user("x@x.io", Role::Admin, &[])).rule,
        "exists"
    );
    assert_eq!(
        log.refused("x@x.io", user("Y@x.io", Role::Admin, &[])).rule,
        "e-mail"
    );
}

#[test]
fn each_role_is_refused_what_it_may_not_do() {
    let mut log = Log::new();
    // Viewers change nothing; members and leads do not open issues or manage people.
    assert_eq!(log.refused("vic@x.io", open(1)).rule, "roles");
    assert_eq!(log.refused("carl@x.io", open(1)).rule, "roles");
    assert_eq!(log.refused("cleo@x.io", open(1)).rule, "roles");
    let refusal = log.refused("ann@x.io", user("z@x.io", Role::Admin, &[]));
    assert!(
        refusal.to_string().contains("needs the role admin"),
        "{refusal}"
    );
    log.ok("ann@x.io", open(1));
    // A member cannot acknowledge; a lead of a department outside the issue cannot either.
    log.ok("ada@x.io", user("fay@x.io", Role::Lead, &["finance"]));
    assert_eq!(
        log.refused("carl@x.io", moved(1, Status::Acknowledged))
            .rule,
        "roles"
    );
    assert_eq!(
        log.refused("fay@x.io", moved(1, Status::Acknowledged)).rule,
        "roles"
    );
    // The IT lead (a contributing department, not the lead one) may.
    log.ok("ivy@x.io", moved(1, Status::Acknowledged));
    log.ok("cleo@x.io", whys(1, 1));
    // A lead plans for their own department only; the owner must be in it.
    let refusal = log.refused("ivy@x.io", action(1, 1, 1, "claims", "carl@x.io"));
    assert!(
        refusal.to_string().contains("plan an action for claims"),
        "{refusal}"
    );
    assert_eq!(
        log.refused("cleo@x.io", action(1, 1, 1, "claims", "ian@x.io"))
            .rule,
        "owner"
    );
    log.ok("cleo@x.io", action(1, 1, 1, "claims", "carl@x.io"));
    // The owner updates their action; another member (other department) cannot.
    let progress = |percent| Change::ActionProgressed {
        action: 1,
        percent,
        note: None,
    };
    log.ok("carl@x.io", progress(40));
    assert_eq!(log.refused("ian@x.io", progress(50)).rule, "roles");
    assert_eq!(log.refused("carl@x.io", progress(101)).rule, "percent");
    // Only the department's lead (or an admin) re-plans, and only with a reason.
    let replan = |reason: &str| Change::ActionReplanned {
        action: 1,
        due: date(2026, 4, 1),
        reason: reason.into(),
    };
    assert_eq!(log.refused("carl@x.io", replan("late")).rule, "roles");
    assert_eq!(
        log.refused("cleo@x.io", replan(" ")).rule,
        "re-planning needs a reason"
    );
    log.ok(
        "cleo@x.io",
        replan("vendor delivers the queue tool on 28 March"),
    );
    // Only admins override a verification, and the approver must be an admin.
    let overridden = |by: &str| Change::ResolutionOverridden {
        issue: 1,
        reason: "no data".into(),
        approved_by: by.into(),
    };
    assert_eq!(
        log.refused("ann@x.io", overridden("ada@x.io")).rule,
        "roles"
    );
    assert_eq!(
        log.refused("ada@x.io", overridden("ann@x.io")).rule,
        "four eyes",
        "an admin approves in their own name only"
    );
    // Judges come from outside the submitting team.
    log.ok(
        "carl@x.io",
        Change::RecognitionSubmitted {
            submission: 1,
            department: slug("claims"),
            title: "Queue review".into(),
            description: "Stops late payouts".into(),
            issue: Some(1),
        },
    );
    let judge = |scores: Vec<u8>| Change::RecognitionJudged {
        submission: 1,
        scores,
        comment: "good".into(),
    };
    assert_eq!(
        log.refused("cleo@x.io", judge(vec![5, 4, 3, 4])).rule,
        "roles"
    );
    assert_eq!(
        log.refused("ivy@x.io", judge(vec![5, 4])).rule,
        "published criteria"
    );
    log.ok("ivy@x.io", judge(vec![5, 4, 3, 4]));
    assert_eq!(log.state.submissions[&1].mean_total(), Some(16.0));
}

#[test]
fn the_lifecycle_allows_only_its_steps_and_each_needs_its_evidence() {
    let mut log = Log::new();
    log.ok("ann@x.io", open(1));
    let refusal = log.refused("ann@x.io", moved(1, Status::Resolved));
    assert_eq!(refusal.rule, "lifecycle");
    assert!(
        refusal
            .to_string()
            .contains("can move to acknowledged only"),
        "{refusal}"
    );
    log.ok("cleo@x.io", moved(1, Status::Acknowledged));
    assert_eq!(
        log.refused("cleo@x.io", moved(1, Status::RootCauseFound))
            .rule,
        "root cause first"
    );
    // Actions only against a recorded root cause.
    assert_eq!(
        log.refused("cleo@x.io", action(1, 1, 1, "claims", "carl@x.io"))
            .rule,
        "root cause first"
    );
    log.ok("cleo@x.io", whys(1, 1));
    log.ok("cleo@x.io", moved(1, Status::RootCauseFound));
    assert_eq!(
        log.refused("cleo@x.io", moved(1, Status::ActionPlanned))
            .rule,
        "plan first"
    );
    log.ok("cleo@x.io", action(1, 1, 1, "claims", "carl@x.io"));
    log.ok("cleo@x.io", moved(1, Status::ActionPlanned));
    log.ok("cleo@x.io", moved(1, Status::Fixing));
    assert_eq!(
        log.refused("cleo@x.io", moved(1, Status::Verifying)).rule,
        "actions done first"
    );
    log.today = date(2026, 3, 10);
    log.ok(
        "carl@x.io",
        Change::ActionDone {
            action: 1,
            on: date(2026, 3, 10),
        },
    );
    log.ok("cleo@x.io", moved(1, Status::Verifying));
    let refusal = log.refused("cleo@x.io", moved(1, Status::Resolved));
    assert_eq!(refusal.rule, "verification before resolution");
    let verification = |verdict: &str| Change::VerificationRecorded {
        issue: 1,
        verdict: verdict.into(),
        fixed_on: date(2026, 3, 10),
        rate_ratio: Some(0.2),
        ci: Some((0.1, 0.3)),
    };
    log.ok("ann@x.io", verification("inconclusive"));
    assert_eq!(
        log.refused("cleo@x.io", moved(1, Status::Resolved)).rule,
        "verification before resolution"
    );
    log.ok("ann@x.io", verification("verified"));
    log.ok("cleo@x.io", moved(1, Status::Resolved));
    assert_eq!(
        log.refused("cleo@x.io", moved(1, Status::Fixing)).rule,
        "lifecycle"
    );
    log.ok("ann@x.io", moved(1, Status::Recurred));
    assert_eq!(log.state.issues[&1].status, Status::Recurred);
    let statuses: Vec<Status> = log.state.issues[&1].history.iter().map(|t| t.to).collect();
    assert_eq!(statuses.len(), 8, "detected to recurred, each step once");
}

#[test]
fn an_admin_override_resolves_without_verification() {
    let mut log = Log::new();
    let (issue, chain) = log.issue_with_chain();
    log.ok("cleo@x.io", moved(issue, Status::RootCauseFound));
    log.ok("cleo@x.io", action(1, issue, chain, "claims", "carl@x.io"));
    for to in [Status::ActionPlanned, Status::Fixing] {
        log.ok("cleo@x.io", moved(issue, to));
    }
    log.ok(
        "carl@x.io",
        Change::ActionDone {
            action: 1,
            on: TODAY,
        },
    );
    log.ok("cleo@x.io", moved(issue, Status::Verifying));
    let approve = |by: &str| Change::ResolutionOverridden {
        issue,
        reason: "the product was withdrawn".into(),
        approved_by: by.into(),
    };
    assert_eq!(
        log.refused("ada@x.io", approve("ada@x.io")).rule,
        "four eyes"
    );
    let request = Change::OverrideRequested {
        issue,
        reason: "the product was withdrawn".into(),
    };
    assert_eq!(log.refused("carl@x.io", request.clone()).rule, "roles");
    log.ok("cleo@x.io", request);
    assert_eq!(log.refused("cleo@x.io", approve("ada@x.io")).rule, "roles");
    log.ok("ada@x.io", approve("ada@x.io"));
    log.ok("cleo@x.io", moved(issue, Status::Resolved));
    let o = log.state.issues[&issue]
        .override_
        .clone()
        .expect("approved");
    assert_eq!(o.approved_by, "ada@x.io");
}

#[test]
fn an_admin_cannot_approve_their_own_override_nor_in_anothers_name() {
    let mut log = Log::new();
    log.ok("ada@x.io", user("abe@x.io", Role::Admin, &[]));
    let (issue, _) = log.issue_with_chain();
    log.ok(
        "ada@x.io",
        Change::OverrideRequested {
            issue,
            reason: "duplicate of issue 7".into(),
        },
    );
    let approve = |by: &str| Change::ResolutionOverridden {
        issue,
        reason: "duplicate of issue 7".into(),
        approved_by: by.into(),
    };
    let own = log.refused("ada@x.io", approve("ada@x.io"));
    assert_eq!(own.rule, "four eyes");
    assert!(own.detail.contains("another admin must approve"), "{own}");
    assert_eq!(
        log.refused("abe@x.io", approve("ada@x.io")).rule,
        "four eyes"
    );
    log.ok("abe@x.io", approve("abe@x.io"));
}

#[test]
fn the_last_admin_cannot_be_demoted() {
    let mut log = Log::new();
    let demote = |email: &str| Change::UserChanged {
        email: email.into(),
        role: Role::Analyst,
        departments: vec![],
    };
    let refusal = log.refused("ada@x.io", demote("ada@x.io"));
    assert_eq!(refusal.rule, "last admin");
    log.ok(
        "ada@x.io",
        Change::UserChanged {
            email: "ann@x.io".into(),
            role: Role::Admin,
            departments: vec![],
        },
    );
    log.ok("ann@x.io", demote("ada@x.io"));
    assert_eq!(
        log.refused("ann@x.io", demote("ann@x.io")).rule,
        "last admin"
    );
    assert_eq!(log.state.admins().count(), 1);
}

#[test]
fn pretended_time_is_for_rehearsal_databases_only() {
    let mark = || Change::RehearsalMarked {
        reason: "training".into(),
    };
    // The demo marks its fresh database without anybody signed in...
    let mut fresh = Log {
        state: Workflow::default(),
        today: TODAY,
    };
    assert_eq!(
        rules::rehearsal(&fresh.state).unwrap_err().rule,
        "real time"
    );
    fresh.by(None, mark()).expect("the demo's fresh database");
    assert!(rules::rehearsal(&fresh.state).is_ok());
    // ... but once the log has records, only an admin may, once.
    let mut log = Log::new();
    let refusal = rules::rehearsal(&log.state).unwrap_err();
    assert!(refusal.detail.contains("drop --now"), "{refusal}");
    assert_eq!(log.by(None, mark()).unwrap_err().rule, "sign in");
    assert_eq!(log.refused("ann@x.io", mark()).rule, "roles");
    log.ok("ada@x.io", mark());
    assert!(rules::rehearsal(&log.state).is_ok());
    assert_eq!(log.refused("ada@x.io", mark()).rule, "exists");
    assert_eq!(log.state.audit("rehearsal").len(), 1);
}

#[test]
fn loading_the_journey_needs_an_admin_once_people_use_the_workflow() {
    assert!(rules::load_journey(&Workflow::default(), None).is_ok());
    let log = Log::new();
    let user = |e: &str| log.state.users[e].clone();
    assert_eq!(
        rules::load_journey(&log.state, None).unwrap_err().rule,
        "sign in"
    );
    assert_eq!(
        rules::load_journey(&log.state, Some(&user("ann@x.io")))
            .unwrap_err()
            .rule,
        "roles"
    );
    assert!(rules::load_journey(&log.state, Some(&user("ada@x.io"))).is_ok());
}

#[test]
fn a_completion_recorded_late_is_met_late_whatever_day_it_claims() {
    let mut log = Log::new();
    let (issue, chain) = log.issue_with_chain();
    log.ok("cleo@x.io", action(1, issue, chain, "claims", "carl@x.io"));
    let done = |on| Change::ActionDone { action: 1, on };
    // Due 2026-03-15; recorded 28 days later, claiming the day before the due date.
    log.today = date(2026, 4, 12);
    let refusal = log.refused("carl@x.io", done(date(2026, 4, 13)));
    assert_eq!(refusal.rule, "no future dates");
    log.ok("carl@x.io", done(date(2026, 3, 14)));
    let all = views::commitments(&log.state, log.today);
    let c = &all[0];
    assert_eq!((c.standing, c.days_late), (Standing::MetLate, 28));
    assert_eq!(c.claimed_on, Some(date(2026, 3, 14)));
    assert_eq!(c.met_on, Some(date(2026, 4, 12)));
    let plan = views::plan_page(&log.state, &log.state.issues[&issue], &[], log.today).markdown();
    assert!(
        plan.contains("met late (28 days); claims done 2026-03-14, recorded 2026-04-12"),
        "{plan}"
    );
    let a = &log.state.actions[&1];
    assert_eq!(a.done_on, Some(date(2026, 3, 14)), "the claim is kept");
}

#[test]
fn metric_values_are_changes_with_their_history_written_by_the_issues_departments() {
    let mut log = Log::new();
    let (issue, _) = log.issue_with_chain();
    log.ok(
        "cleo@x.io",
        Change::IndicatorSet {
            issue,
            metric: slug("claims-checked"),
            name: "Claims checked within a day".into(),
            unit: "%".into(),
            direction: Direction::Up,
            target: 95.0,
        },
    );
    let record = |metric: &str, day, value, previous| Change::MetricsRecorded {
        metric: slug(metric),
        values: vec![MetricValue {
            day,
            value,
            previous,
        }],
    };
    let day = date(2026, 2, 1);
    // Claims and IT contribute to the issue; analysts and admins may record any metric.
    log.ok("carl@x.io", record("claims-checked", day, 81.0, None));
    log.ok(
        "ian@x.io",
        record("claims-checked", date(2026, 2, 2), 84.0, None),
    );
    assert_eq!(
        log.refused("vic@x.io", record("claims-checked", day, 1.0, Some(81.0)))
            .rule,
        "roles"
    );
    assert_eq!(
        log.refused("carl@x.io", record("refund-days", day, 3.0, None))
            .rule,
        "roles",
        "no issue watches it: analysts and admins only"
    );
    log.ok("ann@x.io", record("refund-days", day, 3.0, None));
    // A change names the value it replaces, as the records hold it.
    let wrong = log.refused("carl@x.io", record("claims-checked", day, 90.0, None));
    assert_eq!(wrong.rule, "history");
    assert!(wrong.detail.contains("the records hold 81"), "{wrong}");
    assert_eq!(
        log.refused("carl@x.io", record("claims-checked", day, 81.0, Some(81.0)))
            .rule,
        "history",
        "an unchanged value is no change"
    );
    log.ok("cleo@x.io", record("claims-checked", day, 90.0, Some(81.0)));
    assert_eq!(
        log.state.metric_series("claims-checked"),
        [
            ("2026-02-01".to_owned(), 90.0),
            ("2026-02-02".to_owned(), 84.0)
        ]
    );
    let trail: Vec<(String, Option<f64>, f64)> = log
        .state
        .audit("metric:claims-checked")
        .iter()
        .filter_map(|e| match &e.change {
            Change::MetricsRecorded { values, .. } => {
                Some((e.actor.clone(), values[0].previous, values[0].value))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        trail,
        [
            ("carl@x.io".to_owned(), None, 81.0),
            ("ian@x.io".to_owned(), None, 84.0),
            ("cleo@x.io".to_owned(), Some(81.0), 90.0),
        ]
    );
}

#[test]
fn announcements_use_customer_wording_and_never_promise_a_missed_date() {
    let mut log = Log::new();
    let (issue, chain) = log.issue_with_chain();
    log.ok("cleo@x.io", action(1, issue, chain, "claims", "carl@x.io"));
    let announce = |id: u32, told_us: Option<u64>| Change::Announced {
        announcement: id,
        issues: vec![issue],
        audience: Audience::RaisedIt,
        message: "We hear you".into(),
        recipients: 40,
        told_us,
        report_due: date(2026, 6, 1),
    };
    let refusal = log.refused("ann@x.io", announce(1, Some(40)));
    assert_eq!(refusal.rule, "customer-facing wording");
    assert!(
        refusal.detail.contains("action 1 (Daily queue review)"),
        "{refusal}"
    );
    let word = |public: &str| Change::ActionWorded {
        action: 1,
        public: public.into(),
    };
    assert_eq!(log.refused("ivy@x.io", word("x")).rule, "roles");
    assert_eq!(log.refused("cleo@x.io", word(" ")).rule, "required");
    log.ok(
        "cleo@x.io",
        word("A person checks every waiting claim each morning"),
    );
    // Past its due date and not done: the date cannot be promised any more.
    log.today = date(2026, 3, 20);
    let refusal = log.refused("ann@x.io", announce(1, Some(40)));
    assert_eq!(refusal.rule, "no missed promises");
    assert!(refusal.detail.contains("re-plan it"), "{refusal}");
    log.ok(
        "cleo@x.io",
        Change::ActionReplanned {
            action: 1,
            due: date(2026, 4, 10),
            reason: "hiring".into(),
        },
    );
    log.ok("ann@x.io", announce(1, Some(40)));
    let state = &log.state;
    let issues = [&state.issues[&issue]];
    let message = views::announcement_message(
        state,
        &issues,
        views::DEFAULT_TEMPLATE,
        date(2026, 6, 1),
        log.today,
    );
    assert!(
        message.contains(
            "- A person checks every waiting claim each morning (late: first promised by 2026-03-15, now by 2026-04-10)"
        ),
        "{message}"
    );
    assert!(!message.contains("Daily queue review"), "{message}");
    // "N of you told us" counts the people it went to, or says both.
    let report = views::progress_report(state, &state.announcements[&1], &[], log.today).markdown();
    assert!(
        report.contains("You said: 40 of you told us about this."),
        "{report}"
    );
    // The report, too, says a late action is late.
    assert!(
        report.contains("- Under way (0%, late: first promised by 2026-03-15, now by 2026-04-10): A person checks every waiting claim each morning"),
        "{report}"
    );
    let later =
        views::progress_report(state, &state.announcements[&1], &[], date(2026, 4, 11)).markdown();
    assert!(
        later.contains("(0%, late: it was due 2026-04-10)"),
        "{later}"
    );
    log.ok("ann@x.io", announce(2, Some(55)));
    let report =
        views::progress_report(&log.state, &log.state.announcements[&2], &[], log.today).markdown();
    assert!(
        report.contains(
            "You said: 55 customers told us about this; this report goes to 40 customers"
        ),
        "{report}"
    );
}

#[test]
fn a_passed_due_date_is_missed_until_met_or_replanned_and_history_stays() {
    let mut log = Log::new();
    let (issue, chain) = log.issue_with_chain();
    log.ok("cleo@x.io", action(1, issue, chain, "claims", "carl@x.io"));
    log.ok("ivy@x.io", action(2, issue, chain, "it", "ian@x.io"));
    log.today = date(2026, 3, 14);
    log.ok(
        "ian@x.io",
        Change::ActionDone {
            action: 2,
            on: date(2026, 3, 14),
        },
    );
    log.today = date(2026, 3, 20);
    let all = views::commitments(&log.state, log.today);
    let of = |id| {
        all.iter()
            .find(|c| c.promise == Promise::Action(id))
            .expect("listed")
    };
    assert_eq!((of(1).standing, of(1).days_late), (Standing::Missed, 5));
    assert_eq!(of(2).standing, Standing::Met);
    let stream = views::stream_page(&log.state, &slug("claims"), TODAY, log.today, &[]);
    let md = stream.markdown();
    let missed = md.split("## Missed commitments").nth(1).expect("section");
    assert!(missed.starts_with("\n\n| what |"), "{md}");
    assert!(
        missed.contains("| Daily queue review | carl@x.io | 2026-03-15 | 5 days |"),
        "{md}"
    );
    let it = views::stream_page(&log.state, &slug("it"), TODAY, log.today, &[]).markdown();
    assert!(it.contains("## Missed commitments\n\nNone."), "{it}");
    // Re-planned: no longer missed, the old date kept.
    log.ok(
        "cleo@x.io",
        Change::ActionReplanned {
            action: 1,
            due: date(2026, 3, 31),
            reason: "needs IT's queue tool".into(),
        },
    );
    let all = views::commitments(&log.state, log.today);
    let first = all
        .iter()
        .find(|c| c.promise == Promise::Action(1))
        .expect("listed");
    assert_eq!((first.standing, first.replanned), (Standing::Open, 1));
    let plan = views::plan_page(&log.state, &log.state.issues[&issue], &[], log.today).markdown();
    assert!(
        plan.contains("re-planned 2026-03-15 -> 2026-03-31: needs IT's queue tool"),
        "{plan}"
    );
    // Met late once done after the new date: counted from the day it is recorded.
    log.today = date(2026, 4, 3);
    log.ok(
        "carl@x.io",
        Change::ActionDone {
            action: 1,
            on: date(2026, 4, 2),
        },
    );
    let all = views::commitments(&log.state, log.today);
    let first = all
        .iter()
        .find(|c| c.promise == Promise::Action(1))
        .expect("listed");
    assert_eq!((first.standing, first.days_late), (Standing::MetLate, 3));
}

#[test]
fn an_unreported_announcement_is_a_missed_commitment() {
    let mut log = Log::new();
    let (issue, _) = log.issue_with_chain();
    let announce = |due| Change::Announced {
        announcement: 1,
        issues: vec![issue],
        audience: Audience::RaisedIt,
        message: "We hear you".into(),
        recipients: 3,
        told_us: Some(3),
        report_due: due,
    };
    assert_eq!(log.refused("ann@x.io", announce(TODAY)).rule, "commitments");
    log.ok("ann@x.io", announce(date(2026, 4, 1)));
    log.today = date(2026, 4, 2);
    let all = views::commitments(&log.state, log.today);
    assert_eq!(all[0].promise, Promise::ProgressReport(1));
    assert_eq!(all[0].standing, Standing::Missed);
    let report = |on| Change::ProgressReported {
        announcement: 1,
        on,
    };
    let refusal = log.refused("ann@x.io", report(date(2026, 4, 3)));
    assert_eq!(refusal.rule, "no future dates");
    log.ok("ann@x.io", report(log.today));
    let all = views::commitments(&log.state, log.today);
    assert_eq!(all[0].standing, Standing::MetLate);
}

#[test]
fn cases_close_with_an_outcome_and_breaches_are_counted() {
    let mut log = Log::new();
    let open_case = |case, due_at| Change::CaseOpened {
        case,
        customer: Some("C-1".into()),
        feedback_id: Some(7),
        issue: None,
        reason: "detractor".into(),
        department: slug("claims"),
        owner: Some("carl@x.io".into()),
        due_at,
    };
    assert_eq!(log.refused("ian@x.io", open_case(1, 100)).rule, "roles");
    log.ok("carl@x.io", open_case(1, 1_772_000_000 + 10));
    log.ok("ann@x.io", open_case(2, 1_772_000_000 + 1_000_000));
    let close = |case, outcome: Option<&str>| Change::CaseUpdated {
        case,
        status: CaseStatus::Closed,
        outcome: outcome.map(str::to_owned),
        first_contact_resolution: Some(true),
        note: None,
    };
    assert_eq!(log.refused("carl@x.io", close(2, None)).rule, "outcome");
    assert_eq!(
        log.refused("ian@x.io", close(2, Some("paid"))).rule,
        "roles"
    );
    log.ok("carl@x.io", close(2, Some("paid the claim")));
    assert_eq!(
        log.refused("carl@x.io", close(2, Some("again"))).rule,
        "lifecycle"
    );
    let queue = views::queue(&log.state, 1_772_000_000 + 100, |c| {
        c.department.as_str() == "claims"
    });
    assert_eq!(
        (
            queue.open,
            queue.closed,
            queue.breached,
            queue.first_contact
        ),
        (1, 1, 1, 1)
    );
}

#[test]
fn the_audit_trail_of_a_record_is_every_change_to_it() {
    let mut log = Log::new();
    let (issue, chain) = log.issue_with_chain();
    log.ok("cleo@x.io", action(1, issue, chain, "claims", "carl@x.io"));
    log.ok(
        "carl@x.io",
        Change::ActionProgressed {
            action: 1,
            percent: 30,
            note: None,
        },
    );
    let trail: Vec<(String, String)> = log
        .state
        .audit("action:1")
        .iter()
        .map(|e| (e.actor.clone(), e.change.kind()))
        .collect();
    assert_eq!(
        trail,
        [
            ("cleo@x.io".to_owned(), "action_planned".to_owned()),
            ("carl@x.io".to_owned(), "action_progressed".to_owned()),
        ]
    );
    let issue_kinds: Vec<String> = log
        .state
        .audit("issue:1")
        .iter()
        .map(|e| e.change.kind())
        .collect();
    assert_eq!(
        issue_kinds,
        [
            "issue_opened",
            "issue_moved",
            "whys_recorded",
            "action_planned"
        ]
    );
}

#[test]
fn lessons_are_found_by_their_words_best_match_first() {
    let mut log = Log::new();
    for (lesson, title, root) in [
        (1, "Payout queue", "approvals had no owner"),
        (2, "Fee letters", "pricing rules copied by hand"),
    ] {
        log.ok(
            "ann@x.io",
            Change::LessonRecorded {
                lesson,
                issue: None,
                title: title.into(),
                what_happened: "customers complained".into(),
                root_cause: root.into(),
                what_worked: "a daily review".into(),
                reuse: "name an owner for every queue".into(),
            },
        );
    }
    let found: Vec<(usize, u32)> = views::search_lessons(&log.state, "Queue OWNER pricing")
        .iter()
        .map(|(score, l)| (*score, l.id))
        .collect();
    assert_eq!(
        found,
        [(3, 2), (2, 1)],
        "both share the reused advice; 2 also has pricing"
    );
    let found: Vec<u32> = views::search_lessons(&log.state, "payout approvals")
        .iter()
        .map(|(_, l)| l.id)
        .collect();
    assert_eq!(found, [1]);
    assert!(views::search_lessons(&log.state, "nothing-matches").is_empty());
}

#[test]
fn events_round_trip_through_json() {
    let change = whys(3, 1);
    let json = serde_json::to_string(&change).expect("serialises");
    assert!(json.starts_with("{\"change\":\"whys_recorded\""), "{json}");
    let back: Change = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, change);
    assert_eq!(change.kind(), "whys_recorded");
}

#[test]
fn metric_values_moved_into_the_log_by_the_migration_are_read() {
    // As the 0007 migration writes them on SQLite and on PostgreSQL (spaces, 12.0 as 12).
    for json in [
        r#"{"change":"metrics_recorded","metric":"refund-days","values":[{"day":"2025-03-01","value":12.0}]}"#,
        r#"{"change" : "metrics_recorded", "metric" : "refund-days", "values" : [{"day" : "2025-03-01", "value" : 12}]}"#,
    ] {
        let change: Change = serde_json::from_str(json).expect("a change");
        let state = Workflow::replay([Event {
            seq: 1,
            at: 0,
            actor: "trove".into(),
            change,
        }]);
        assert_eq!(
            state.metric_series("refund-days"),
            [("2025-03-01".to_owned(), 12.0)]
        );
    }
}

#[test]
fn a_member_takes_a_free_case_and_a_lead_hands_one_over() {
    let mut log = Log::new();
    log.ok(
        "cleo@x.io",
        Change::CaseOpened {
            case: 1,
            customer: Some("C-1".into()),
            feedback_id: Some(7),
            issue: None,
            reason: "detractor".into(),
            department: slug("claims"),
            owner: None,
            due_at: 1_772_000_000,
        },
    );
    let take = |owner: &str| Change::CaseTaken {
        case: 1,
        owner: owner.to_owned(),
    };
    assert_eq!(log.refused("ian@x.io", take("ian@x.io")).rule, "roles");
    assert_eq!(log.refused("vic@x.io", take("vic@x.io")).rule, "roles");
    assert_eq!(log.refused("carl@x.io", take("cleo@x.io")).rule, "roles");
    log.ok("carl@x.io", take("carl@x.io"));
    assert_eq!(log.state.cases[&1].owner.as_deref(), Some("carl@x.io"));
    // A lead hands it over, but only to someone of the department.
    assert_eq!(
        log.refused("cleo@x.io", take("ian@x.io")).rule,
        "department"
    );
    log.ok("cleo@x.io", take("cleo@x.io"));
    // Now it is someone else's: the member cannot take it back.
    assert_eq!(log.refused("carl@x.io", take("carl@x.io")).rule, "taken");
    assert_eq!(log.state.audit("case:1").len(), 3);
    log.ok(
        "cleo@x.io",
        Change::CaseUpdated {
            case: 1,
            status: CaseStatus::Closed,
            outcome: Some("called back".into()),
            first_contact_resolution: Some(true),
            note: None,
        },
    );
    assert_eq!(log.refused("ada@x.io", take("ada@x.io")).rule, "lifecycle");
}
