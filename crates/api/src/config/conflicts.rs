//! Two spellings of one setting: `model.width` beside `model.widths`, and `train.lr` beside
//! `train.lr_w`/`lr_b`/`lr_a`. Both given is an error naming both, whether given in the file
//! or by a `--set` (presence, [`GivenKeys`](super::GivenKeys)); for configs without
//! provenance (built in code, read back from JSON, or a complete `config.toml` as a sweep
//! writes it), a value other than the default counts as given. An empty `model.widths` or
//! `train.lr` sets nothing (it means "use the other key").

use anyhow::ensure;

use super::{ModelSection, RunConfig, TrainSection};

/// Refuses a setting given under two keys.
pub(super) fn check(config: &RunConfig) -> anyhow::Result<()> {
    let given = |key: &str, differs: bool| differs || config.given.contains(key);
    let (model, train) = (&config.model, &config.train);
    let (model_default, train_default) = (ModelSection::default(), TrainSection::default());
    if !model.widths.is_empty() {
        ensure!(
            !given("model.width", model.width != model_default.width),
            "model.width and model.widths both set the hidden widths; keep one (model.width for \
             one hidden layer, model.widths for any depth)"
        );
    }
    if !train.lr.is_empty() {
        for (key, rate, default, what) in [
            (
                "lr_w",
                train.lr_w,
                train_default.lr_w,
                "the hidden weights W",
            ),
            (
                "lr_b",
                train.lr_b,
                train_default.lr_b,
                "the hidden biases b",
            ),
            (
                "lr_a",
                train.lr_a,
                train_default.lr_a,
                "the output weights a",
            ),
        ] {
            ensure!(
                !given(&format!("train.{key}"), rate.to_bits() != default.to_bits()),
                "train.lr and train.{key} both set the learning rate of {what}; keep one \
                 (train.lr gives one rate per layer)"
            );
        }
    }
    Ok(())
}
