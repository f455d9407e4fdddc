//! `data.seed`: runs with different seeds share their samples (inputs, labels, held-out
//! points) when it is set, and draw their own when it is not.

use overparam_api::config::RunConfig;
use overparam_api::Experiment;

fn dataset(text: &str) -> overparam_trainer::data::Dataset {
    let config = RunConfig::from_toml(text, &[]).unwrap();
    Experiment::from_config(config).unwrap().dataset().unwrap()
}

#[test]
fn a_data_seed_makes_runs_share_their_samples() {
    let base = "[data]\nn = 10\nd = 3\nlabels = \"random\"\nn_test = 4\n";
    let shared = |seed: u64| dataset(&format!("seed = {seed}\n{base}seed = 9\n"));
    let own = |seed: u64| dataset(&format!("seed = {seed}\n{base}"));
    let (a, b) = (shared(1), shared(2));
    assert_eq!(a.inputs, b.inputs);
    assert_eq!(a.targets, b.targets);
    assert_eq!(a.test, b.test);
    let (c, d) = (own(1), own(2));
    assert_ne!(c.inputs, d.inputs);
    assert_ne!(c.targets, d.targets);
    // data.seed = 9 is exactly the data of a run with seed 9.
    assert_eq!(own(9).inputs, a.inputs);
    assert_eq!(own(9).targets, a.targets);
}
