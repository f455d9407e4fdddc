//! The values of the config's enumerated keys, as written in TOML (snake_case).

use serde::{Deserialize, Serialize};

/// Values of `data.inputs`.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputsKey {
    Gaussian,
    Sphere,
    File,
}

/// Values of `data.labels`.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelsKey {
    Teacher,
    Random,
    PlantedQuadratic,
    File,
}

/// Values of `data.random_labels`.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RandomLabelsKey {
    Gaussian,
    Sign,
}

/// Values of `train.optimizer`.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKey {
    Gd,
    Sgd,
}

/// Values of `model.init`.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InitKey {
    Random,
    Teacher,
}
