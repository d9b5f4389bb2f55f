//! Where an import's time goes, stage by stage, for `trove bench import`: each of the
//! pipeline's three threads counts the wall time it worked (not waiting for the next or the
//! previous stage) and the CPU time it used; the store says how its part splits.

use std::time::{Duration, Instant};

use trove_store::WriteStages;

/// One stage's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTime {
    /// Wall time spent working (waits on the neighbouring stages left out).
    pub busy: Duration,
    /// CPU time of the stage's thread; `None` where the system does not tell.
    pub cpu: Option<Duration>,
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
