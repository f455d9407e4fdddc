//! [`RunConfig::resolve`]: every value checked (errors name the key) and turned into the
//! model's and trainer's specifications, one section at a time (`data`, `model`, `train`).

use anyhow::ensure;

use super::{conflicts, range, ResolvedRun, RunConfig};

mod data;
mod model;
mod train;

impl RunConfig {
    /// Checks every value and builds the specifications. Errors name the key.
    ///
    /// The checks run in this order, so that a config with several faults always gets the
    /// same (first) error: sizes and seeds, keys given twice, widths and per-layer lists, the
    /// bias, the schedule, the rates, the optimizer, the teacher start, then the data sources.
    pub fn resolve(&self) -> anyhow::Result<ResolvedRun> {
        let (data, model, train) = (&self.data, &self.model, &self.train);
        self.check_sizes()?;
        conflicts::check(self)?;
        let widths = model.hidden_widths()?;
        model.check_train_layers(widths.len())?;
        train.check_layer_rates(widths.len())?;
        model.check_bias_init()?;
        train.check_schedule()?;
        train.check_kind_rates()?;
        let optimizer = train.optimizer(data.n)?;
        let near_teacher_noise = model.near_teacher_noise(data, &widths)?;
        Ok(ResolvedRun {
            data: data.spec(model.activation, data.seed.unwrap_or(self.seed))?,
            model: model.mlp_config(data.d, widths),
            train: train.spec(optimizer, self.seed),
            near_teacher_noise,
        })
    }

    /// The counts that must be at least 1 (data.n, train.seeds, data.d, model.width) and the
    /// seeds' range.
    fn check_sizes(&self) -> anyhow::Result<()> {
        let (data, model, train) = (&self.data, &self.model, &self.train);
        ensure!(data.n >= 1, "data.n must be at least 1");
        ensure!(train.seeds >= 1, "train.seeds must be at least 1");
        range::check_seeds(self.seed, data.teacher_seed, train.seeds)?;
        if let Some(seed) = data.seed {
            range::check("data.seed", seed)?;
        }
        ensure!(data.d >= 1, "data.d must be at least 1");
        ensure!(model.width >= 1, "model.width must be at least 1");
        Ok(())
    }
}
