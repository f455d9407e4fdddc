//! The NNGP kernel E_θ0[f(x) f(x′)]: empirically the mean of f(X) f(X)ᵀ over an ensemble of
//! initial networks, analytically its infinite-width limit (ReLU with a constant bias or
//! quadratic, any depth, `ntk` parameterization).

use burn::tensor::Device;
use overparam_trainer::network_outputs;
use overparam_trainer::ntk::{analytic_nngp, KernelBlocks, NtkError, NtkMethod};

use super::KernelPoints;
use crate::experiment::Experiment;

/// The NNGP kernel on [X; X_test] split into blocks: by `method` Analytic the limit, else the
/// mean of f f_ᵀ over `ensemble` networks drawn from seeds `seed`, `seed + 1`, … on `device`.
/// An outer error is a failure to build a network; an inner one an architecture without
/// a limit.
pub(super) fn blocks(
    experiment: &Experiment,
    device: &Device,
    method: NtkMethod,
    points: &KernelPoints,
    ensemble: usize,
) -> anyhow::Result<Result<KernelBlocks, NtkError>> {
    let joint: Vec<f64> = points.train.iter().chain(&points.test).copied().collect();
    let (n, n_test) = (points.num_samples, points.num_test);
    if method == NtkMethod::Analytic {
        return Ok(analytic_nngp(&joint, &experiment.resolved.model)
            .map(|kernel| KernelBlocks::split(&kernel, n, n_test))
            .map_err(NtkError::Analytic));
    }
    anyhow::ensure!(
        ensemble >= 1,
        "the empirical NNGP kernel needs an ensemble of at least 1 network"
    );
    let total = n + n_test;
    let mut sum = vec![0.0; total * total];
    for offset in 0..ensemble as u64 {
        let mut member = experiment.clone();
        member.config.seed = experiment
            .config
            .seed
            .checked_add(offset)
            .filter(|seed| *seed <= i64::MAX as u64)
            .ok_or_else(|| anyhow::anyhow!("seed + ensemble − 1 leaves [0, 2^63 − 1]"))?;
        let network = member.initial_network(device, None)?;
        let outputs = network_outputs(&network, &joint);
        for (i, fi) in outputs.iter().enumerate() {
            for (j, fj) in outputs.iter().enumerate() {
                sum[i * total + j] += fi * fj;
            }
        }
    }
    let mean: Vec<f64> = sum.iter().map(|s| s / ensemble as f64).collect();
    Ok(Ok(KernelBlocks::split(&mean, n, n_test)))
}
