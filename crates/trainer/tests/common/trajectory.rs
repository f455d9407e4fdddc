//! Two engines' runs of one problem side by side: every logged record and the final
//! parameters within 1e-10 relative (see `tests/fused.rs` for why 1e-10).
#![allow(dead_code)]

use overparam_model::{MlpConfig, NamedArray};
use overparam_trainer::data::Dataset;
use overparam_trainer::{stream_rng, train, MetricRecord, RngStream, TrainSpec};

use super::{f64_autodiff_device, relative_error};

/// What a run leaves: its logged records and its final parameters.
pub type Trajectory = (Vec<MetricRecord>, Vec<NamedArray>);

/// The trajectory of `config` (drawn from seed 5) trained on `data` with `spec`, in f64 on
/// flex.
pub fn run(config: &MlpConfig, data: &Dataset, spec: &TrainSpec) -> Trajectory {
    let device = f64_autodiff_device();
    let start = config.init_parameters(&mut stream_rng(5, RngStream::Init));
    let inputs = data.inputs_tensor(&device);
    let targets = data.targets_tensor(&device);
    let mut records = Vec::new();
    let model = config.with_parameters(&start, &device).unwrap();
    let outcome = train(model, inputs, targets, spec, |r| {
        records.push(r.clone());
        Ok(())
    })
    .map(|(model, _)| model.to_named_arrays());
    (records, outcome.expect("training succeeds"))
}

/// Asserts that `got` follows `want`: the same logged steps, every loss, gradient norm and
/// movement within 1e-10 relative, the same activity, every final tensor within 1e-10
/// relative; and that the loss went down (so the comparison is of a run that trained; under
/// SGD the last logged batch may bounce, so the lowest logged loss is compared).
pub fn assert_same_trajectory(want: &Trajectory, got: &Trajectory, label: &str) {
    let ((reference, reference_final), (records, last)) = (want, got);
    assert_eq!(reference.len(), records.len(), "{label}: number of records");
    let lowest = reference
        .iter()
        .map(|r| r.loss)
        .fold(f64::INFINITY, f64::min);
    assert!(lowest < reference[0].loss, "{label}: the loss decreases");
    let close = |a: f64, b: f64, floor: f64| (a - b).abs() <= 1e-10 * b.abs().max(floor);
    for (want, got) in reference.iter().zip(records) {
        let step = want.step;
        assert_eq!(step, got.step);
        assert!(
            close(got.loss, want.loss, 1e-300),
            "{label} step {step}: loss {} vs {}",
            got.loss,
            want.loss
        );
        for (g, w) in got.grad_norms.iter().zip(&want.grad_norms) {
            assert_eq!(g.is_some(), w.is_some(), "{label}: the same tensors train");
            if let (Some(g), Some(w)) = (g, w) {
                assert!(
                    close(*g, *w, 1e-300),
                    "{label} step {step}: gradient norm {g} vs {w}"
                );
            }
        }
        for (g, w) in got.movements.iter().zip(&want.movements) {
            assert!(close(*g, *w, 1e-12), "{label}: movement {g} vs {w}");
        }
        assert_eq!(
            got.active_fraction, want.active_fraction,
            "{label}: activity"
        );
    }
    for (got, want) in last.iter().zip(reference_final) {
        assert_eq!(got.name, want.name);
        let error = relative_error(&got.values, &want.values);
        assert!(
            error <= 1e-10,
            "{label}: {} differs by {error:e} (relative)",
            got.name
        );
    }
}
