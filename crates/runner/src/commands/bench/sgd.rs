//! The SGD step on both engines in one run: (n, d, m) = (1024, 64, 4096), batches of 64,
//! through the trainer's own step engines, so that the fused time includes gathering the
//! batch on the host and the autodiff time selecting it on the device.

use burn::tensor::Device;
use overparam_trainer::{step_engine, LearningRates, Optimizer, StepEngine, TrainSpec};

use super::tasks::{problem, step_flops};
use super::{best_time, GemmRates, Task};

/// Steps per timing (the time reported is per step).
const STEPS: usize = 10;

/// ms per SGD step, fused and autodiff, on the same network, data and batch order.
pub fn sgd_steps(device: &Device, rates: GemmRates, repeats: usize) -> Vec<Task> {
    let (n, d, m, batch_size) = (1024, 64, 4096, 64);
    let (model, inputs, targets) = problem(n, d, &[m], 0.0, device);
    let bound = step_flops(batch_size, d, &[m]) / (rates.f32 * 1e9);
    let label = format!("sgd_step_two_layer_f32_{n}x{d}x{m}_batch{batch_size}");
    let mut tasks = Vec::new();
    for (engine, suffix, note) in [
        (StepEngine::Fused, "", "fused, batch gathered on the host"),
        (
            StepEngine::Autodiff,
            "_autodiff",
            "Burn autodiff, batch selected on the device",
        ),
    ] {
        let spec = TrainSpec {
            optimizer: Optimizer::StochasticGradientDescent { batch_size },
            steps: usize::MAX,
            learning_rates: LearningRates::by_kind(1e-3, 1e-3, 1e-3),
            log_every: 1,
            target_loss: 0.0,
            seed: 7,
            ntk_every: 0,
            engine,
        };
        let mut stepper = step_engine(model.clone(), &inputs, &targets, &spec, None);
        let seconds = best_time(repeats, || {
            for _ in 0..STEPS {
                stepper
                    .descend()
                    .expect("steps of 1e-3 on this problem stay finite");
            }
        }) / STEPS as f64;
        tasks.push(Task::new(
            format!("{label}{suffix}"),
            seconds,
            Some(bound),
            note,
        ));
    }
    tasks
}
