//! The gradient check through the API: one passing check per trained tensor.

mod common;

use common::tiny;
use overparam_api::{gradcheck, BackendKind};

#[test]
fn every_trained_tensor_passes() {
    let checks = gradcheck(&tiny(&[]), BackendKind::Flex, None, 64).unwrap();
    let names: Vec<&str> = checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["w1", "b1", "a"]);
    assert!(checks.iter().all(|c| c.passes()), "{checks:?}");
}

#[test]
fn frozen_tensors_are_left_out_and_all_frozen_is_refused() {
    let checks = gradcheck(&tiny(&["model.train_b=false"]), BackendKind::Flex, None, 64).unwrap();
    let names: Vec<&str> = checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["w1", "a"]);
    let frozen = tiny(&[
        "model.train_w=false",
        "model.train_b=false",
        "model.train_a=false",
    ]);
    let error = gradcheck(&frozen, BackendKind::Flex, None, 64).unwrap_err();
    assert!(error.to_string().starts_with("nothing to check"), "{error}");
}
