//! Held-out points, kernel-regression predictions, the NNGP ensemble and the linearized
//! network through `Experiment` configs (`data.n_test`, `data.test_path`, `train.linearized`),
//! each checked against a computation made here: the teacher applied by hand, a direct linear
//! solve, networks built from configs with other seeds, the final network's own outputs.
//! All f64 on flex.

#[path = "../common/mod.rs"]
mod common;
mod held_out;
mod predictions;
mod training;

use std::path::Path;

use common::numerics::{relative_error, solve, times};
use common::{tiny, FLEX_F64};
use overparam_api::ntk::{ntk_kernels, KernelKind, NtkRequest};
use overparam_api::{train, EngineChoice, Experiment, NamedArray, NtkMethods, TrainOptions};
use overparam_trainer::data::{planted_quadratic_output, unit_directions};
use overparam_trainer::ntk::{analytic_ntk, ntk, KernelBlocks, NtkMethod, NtkOptions};
use overparam_trainer::{mean_squared_loss_of, network_outputs, stream_rng, RngStream};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Writes `x` `[rows, d]` and `y` `[rows]` to the `.npz` file `path`.
fn write_xy(path: &Path, d: usize, x: &[f64], y: &[f64]) {
    let array = |name: &str, shape: Vec<usize>, values: &[f64]| {
        NamedArray::new(name, shape, values.to_vec()).unwrap()
    };
    let arrays = [
        array("x", vec![x.len() / d, d], x),
        array("y", vec![y.len()], y),
    ];
    overparam_trainer::write_npz_arrays(std::fs::File::create(path).unwrap(), &arrays).unwrap();
}

/// `data.test_path` set to `path`.
fn test_path(path: &Path) -> String {
    format!("data.test_path=\"{}\"", path.display())
}

/// The error (with its causes) of the tiny config reading `path` as its held-out file.
fn held_out_error(path: &Path) -> String {
    let error = tiny(&[&test_path(path)]).dataset().unwrap_err();
    format!("{error:#}")
}

fn request(methods: NtkMethods, kernel: KernelKind, ridge: Option<f64>) -> NtkRequest {
    NtkRequest {
        compute: FLEX_F64,
        methods,
        skip_inapplicable: false,
        lr_weighted: false,
        inputs: None,
        given: Default::default(),
        init: None,
        block_size: 4,
        kernel,
        ridge,
    }
}

const CLOSED: NtkMethods = NtkMethods {
    jacobian: false,
    closed: true,
    analytic: false,
};

const CLOSED_AND_ANALYTIC: NtkMethods = NtkMethods {
    jacobian: false,
    closed: true,
    analytic: true,
};

fn options() -> TrainOptions {
    TrainOptions {
        compute: FLEX_F64,
        engine: EngineChoice::Auto,
        init: None,
        dataset: None,
    }
}
