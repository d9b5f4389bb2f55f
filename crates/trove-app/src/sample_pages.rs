//! What the `/samples` page reads: each wave with its plan (strata, allocation, design
//! weights) and its answers so far, the design-weighted NPS beside the unweighted one.

use serde::Serialize;
use trove_store::Wave;

use crate::{App, SampleError, SamplePlan, WaveEstimate};

/// A wave as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct WaveView {
    /// The plan it was drawn by.
    pub plan: SamplePlan,
    /// Its answers so far and the estimates.
    pub estimate: WaveEstimate,
}

impl WaveView {
    /// Invitees who answered within the window so far.
    pub fn respondents(&self) -> u64 {
        self.estimate.strata.iter().map(|s| s.respondents).sum()
    }

    /// The response rate so far (0..1), none when no one was invited.
    pub fn response_rate(&self) -> Option<f64> {
        let invited = self.estimate.wave.invited;
        (invited > 0).then(|| self.respondents() as f64 / invited as f64)
    }
}

impl App {
    /// The plan a wave was drawn by, as recorded.
    pub fn wave_plan(&self, wave: &Wave) -> Result<SamplePlan, SampleError> {
        serde_json::from_str(&wave.allocation).map_err(|e| {
            SampleError::Invalid(format!("wave {}'s plan cannot be read ({e})", wave.id))
        })
    }

    /// One wave with its plan and answers so far.
    pub fn wave_view(&self, id: i64) -> Result<WaveView, SampleError> {
        let estimate = self.wave_estimate(id)?;
        Ok(WaveView {
            plan: self.wave_plan(&estimate.wave)?,
            estimate,
        })
    }

    /// Every wave, newest first, with its plan and answers so far (one scan of each wave's
    /// answer window).
    pub fn wave_views(&self) -> Result<Vec<WaveView>, SampleError> {
        self.store()
            .waves()?
            .iter()
            .map(|wave| self.wave_view(wave.id))
            .collect()
    }
}
