//! Where an import's time goes, stage by stage, for `trove bench import`: each of the
//! pipeline's three threads counts the wall time it worked (not waiting for the next or the
//! previous stage) and the CPU time it used; the store says how its part splits. The text
//! stage lowers its thread's priority here too ([`yield_to_the_writer`]), and says so.

use std::time::{Duration, Instant};

use trove_store::WriteStages;

/// One stage's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTime {
    /// Wall time spent working (waits on the neighbouring stages left out).
    pub busy: Duration,
    /// CPU time of the stage's thread; `None` where the system does not tell.
    pub cpu: Option<Duration>,
    /// How much the stage's thread lowered its priority (nice), 0: not at all.
    pub lowered_priority: i32,
}

/// The figures of an import's stages.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ImportStages {
    /// Reading the file: parsing, checking and masking personal data.
    pub parse: StageTime,
    /// Scoring sentiment and, with a taxonomy, tagging.
    pub read: StageTime,
    /// Storing (the writer thread).
    pub store: StageTime,
    /// How the store's time splits, as the store counted it; `None` when it does not count.
    pub store_parts: Option<WriteStages>,
}

/// How much the text stage's thread lowers its priority ([`yield_to_the_writer`]).
#[cfg(target_os = "linux")]
const TEXT_STAGE_NICENESS: i32 = 10;

/// Lowers the calling thread's priority (its nice value by [`TEXT_STAGE_NICENESS`], at most to
/// 19), so that on a machine whose cores are all busy the store's writer, the pipeline's
/// slowest stage, is not the one kept waiting: the stages before it have time to spare, and
/// it can never wait for them long, as each hand-over holds one batch. On the 2-core machine
/// importing the 1M real texts into SQLite (four alternations), the writer's working time
/// spent off its core fell from 2.5-3.1 s to 1.4-2.2 s and the import took 18.5-21.3 s (20.0
/// on average) instead of 19.6-21.8 s (20.6).
/// Linux keeps a nice value per thread, so this changes no other thread; lowering needs no
/// privilege, and a system that refuses it leaves the thread as it was. Elsewhere the value
/// belongs to the whole process, which would stay lowered after the import: nothing is done.
/// Returns by how much it lowered it, for the stage's figures.
pub(crate) fn yield_to_the_writer() -> i32 {
    #[cfg(target_os = "linux")]
    if let Ok(now) = rustix::process::getpriority_process(None) {
        let lower = (now + TEXT_STAGE_NICENESS).min(19);
        if rustix::process::setpriority_process(None, lower).is_ok() {
            return lower - now;
        }
    }
    0
}

/// Counts a stage's working time and its thread's CPU time; made on the stage's thread.
pub(crate) struct StageClock {
    cpu_at_start: Option<Duration>,
    busy: Duration,
}

impl StageClock {
    /// Starts counting on the calling thread.
    pub(crate) fn start() -> Self {
        Self {
            cpu_at_start: thread_cpu_time(),
            busy: Duration::ZERO,
        }
    }

    /// Runs `work`, counting its wall time as busy.
    pub(crate) fn time<T>(&mut self, work: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let result = work();
        self.busy += started.elapsed();
        result
    }

    /// Adds wall time counted by the caller.
    pub(crate) fn add_busy(&mut self, busy: Duration) {
        self.busy += busy;
    }

    /// The figures so far; call it on the same thread as [`StageClock::start`].
    pub(crate) fn finish(&self) -> StageTime {
        StageTime {
            busy: self.busy,
            cpu: thread_cpu_time()
                .zip(self.cpu_at_start)
                .map(|(now, start)| now.saturating_sub(start)),
            lowered_priority: 0,
        }
    }
}

/// The CPU time (user + system) the calling thread has used, from Linux's /proc (1/100 s
/// resolution; read twice per stage, so the reading costs nothing). `None` elsewhere.
pub fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // The name (2nd field) may hold spaces; the fields after its closing parenthesis do not.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
    // utime and stime are the 14th and 15th fields; the state (3rd) is the first after the name.
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn the_text_stage_lowers_its_own_thread_s_priority_only() {
        let before = rustix::process::getpriority_process(None).expect("this thread's nice");
        let (inside, after) = std::thread::spawn(|| {
            let inside = rustix::process::getpriority_process(None).expect("nice");
            yield_to_the_writer();
            (
                inside,
                rustix::process::getpriority_process(None).expect("nice"),
            )
        })
        .join()
        .expect("thread");
        assert_eq!(inside, before, "a new thread starts at its parent's");
        assert_eq!(after, (before + TEXT_STAGE_NICENESS).min(19));
        assert_eq!(
            rustix::process::getpriority_process(None).expect("nice"),
            before,
            "the calling thread is left as it was"
        );
    }

    #[test]
    fn a_stage_counts_the_work_it_timed_and_the_cpu_it_used() {
        let Some(at_start) = thread_cpu_time() else {
            eprintln!("skipped: this system does not tell a thread's CPU time");
            return;
        };
        let mut clock = StageClock::start();
        // Busy work until the thread has used 50 ms of CPU (the clock ticks every 10 ms).
        clock.time(|| {
            let started = Instant::now();
            while thread_cpu_time().is_some_and(|t| t < at_start + Duration::from_millis(50))
                && started.elapsed() < Duration::from_secs(10)
            {
                std::hint::black_box(started.elapsed());
            }
        });
        let figures = clock.finish();
        let cpu = figures.cpu.expect("read at the start, so read at the end");
        assert!(cpu >= Duration::from_millis(40), "{cpu:?}");
        // A thread cannot use more CPU than the wall time it ran (one tick of slack).
        assert!(
            cpu <= figures.busy + Duration::from_millis(10),
            "{figures:?}"
        );
    }
}
