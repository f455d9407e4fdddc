//! Resolving a config through the API: a file or a string with `--set` overrides, and the
//! errors that name their place.

mod common;

use common::{quickstart, tiny};
use overparam_api::Experiment;

#[test]
fn overrides_apply_in_order_and_resolve() {
    let experiment = tiny(&["model.width=24"]);
    assert_eq!(experiment.config.model.width, 24);
    assert_eq!(experiment.resolved.model.input_dim, 3);
    assert_eq!(experiment.config.data.n, 12);
    let dataset = experiment.dataset().unwrap();
    assert_eq!(dataset.num_samples, 12);
    assert_eq!(dataset.inputs.len(), 12 * 3);
}

#[test]
fn a_string_resolves_as_its_file_does() {
    let text = std::fs::read_to_string(quickstart()).unwrap();
    let overrides = vec!["model.width=8".to_string()];
    let from_text = Experiment::from_toml(&text, &overrides).unwrap();
    let from_file = Experiment::load(&quickstart(), &overrides).unwrap();
    assert_eq!(from_text.config, from_file.config);
    assert_eq!(from_text.resolved, from_file.resolved);
}

#[test]
fn an_invalid_value_names_its_set() {
    let error = Experiment::load(&quickstart(), &["data.n=0".to_string()]).unwrap_err();
    let chain = format!("{error:#}");
    assert!(chain.starts_with("--set data.n=0: "), "{chain}");
    let error = Experiment::from_toml("[model]\nwidth = 0\n", &[]).unwrap_err();
    assert!(
        format!("{error:#}").starts_with("config text: "),
        "{error:#}"
    );
    let error = Experiment::from_toml("[model]\nwidht = 4\n", &[]).unwrap_err();
    assert!(format!("{error:#}").contains("widht"), "{error:#}");
}

#[test]
fn initial_parameters_are_the_seeds_draw() {
    let experiment = tiny(&[]);
    let first = experiment.initial_parameters(None).unwrap();
    let names: Vec<&str> = first.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["w1", "b1", "a"]);
    assert_eq!(first[0].shape, [16, 3]);
    assert_eq!(first, experiment.initial_parameters(None).unwrap());
    let other = tiny(&["seed=1"]).initial_parameters(None).unwrap();
    assert_ne!(first, other);
}
