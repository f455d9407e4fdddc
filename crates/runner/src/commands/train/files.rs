//! What a run writes while it trains: a metrics row per logged step (`metrics.csv`), a
//! checkpoint when one is due, and the progress bar.

use std::time::Instant;

use indicatif::ProgressBar;
use overparam_api::TrainObserver;
use overparam_model::Mlp;
use overparam_trainer::{LoopState, MetricRecord};

use super::run::Run;
use crate::checkpoint::{save_checkpoint, CheckpointRecord};
use crate::output::MetricsCsv;

/// The files (and the bar) of one run, fed by the training loop.
pub(super) struct RunFiles<'a> {
    /// The run.
    pub(super) run: &'a Run<'a>,
    /// The bar over the steps (hidden off a terminal or for seeds side by side).
    pub(super) progress: ProgressBar,
    /// `metrics.csv`, being written.
    pub(super) metrics: MetricsCsv,
    /// Rows in `metrics.csv` so far (an earlier part's included).
    pub(super) rows_logged: usize,
    /// Seconds an earlier part of the run took (0 for a fresh one).
    pub(super) elapsed_before: f64,
    /// When this part started.
    pub(super) started: Instant,
}

impl RunFiles<'_> {
    /// Seconds the run has taken so far, earlier parts included.
    pub(super) fn elapsed(&self) -> f64 {
        self.elapsed_before + self.started.elapsed().as_secs_f64()
    }
}

impl TrainObserver for RunFiles<'_> {
    fn row(&mut self, record: &MetricRecord) -> std::io::Result<()> {
        self.progress.set_position(record.step as u64);
        self.progress
            .set_message(format!("loss {:.3e}", record.loss));
        self.metrics.append(record)?;
        self.rows_logged += 1;
        Ok(())
    }

    fn checkpoint(&mut self, model: &Mlp, state: &LoopState) -> std::io::Result<()> {
        let Run {
            args,
            experiment,
            out,
            ..
        } = *self.run;
        let record = CheckpointRecord {
            step: state.step,
            archive: String::new(),
            loop_state: LoopState::default(),
            has_initial_kernel: false,
            metrics_rows: self.rows_logged,
            elapsed_s: self.elapsed(),
            config: experiment.config.clone(),
            backend: args.device.backend,
            dtype: args.device.dtype,
            engine: experiment.resolved.train.engine,
            init: args.init.clone(),
        };
        save_checkpoint(out, record, model.to_named_arrays(), state)
            .map_err(|error| std::io::Error::other(format!("{error:#}")))
    }

    fn interrupted(&mut self) -> bool {
        crate::interrupt::interrupt_requested()
    }
}
