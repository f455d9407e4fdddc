//! Cross kernels K(X_test, X) between held-out and training inputs, for every method: the
//! kernel is computed once on the stacked inputs [X; X_test] and split into its blocks, so the
//! training block is the training kernel itself and the cross block is its off-diagonal
//! block, as neural-tangents' `kernel_fn(x1, x2)` gives them.

use overparam_model::Mlp;

use super::{ntk, Ntk, NtkError, NtkOptions};
use crate::LearningRates;

/// The kernel of a network on training inputs X `[n, d]` and held-out inputs X_test
/// `[n_test, d]`, from one computation on [X; X_test].
pub struct JointNtk {
    ntk: Ntk,
    num_train: usize,
    num_test: usize,
}

/// The blocks of a kernel on [X; X_test], each row-major on the host in f64.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelBlocks {
    /// K(X, X) `[n, n]`.
    pub train: Vec<f64>,
    /// K(X_test, X) `[n_test, n]`.
    pub cross: Vec<f64>,
    /// K(X_test, X_test) `[n_test, n_test]`.
    pub test: Vec<f64>,
}

impl KernelBlocks {
    /// The blocks of `joint` `[n + n_test, n + n_test]` (row-major) with the first `n` rows
    /// and columns the training inputs'.
    pub fn split(joint: &[f64], n: usize, n_test: usize) -> Self {
        let total = n + n_test;
        assert_eq!(
            joint.len(),
            total * total,
            "joint kernel must be [n + n_test]²"
        );
        let block = |rows: std::ops::Range<usize>, columns: std::ops::Range<usize>| {
            rows.flat_map(|i| joint[i * total + columns.start..i * total + columns.end].to_vec())
                .collect()
        };
        Self {
            train: block(0..n, 0..n),
            cross: block(n..total, 0..n),
            test: block(n..total, n..total),
        }
    }
}

impl JointNtk {
    /// The kernel of `network` on `train_inputs` `[n, d]` and `test_inputs` `[n_test, d]`
    /// (row-major), computed as `options` ask.
    pub fn new(
        network: &Mlp,
        train_inputs: &[f64],
        test_inputs: &[f64],
        options: &NtkOptions,
    ) -> Result<Self, NtkError> {
        let d = network.input_dim();
        let joint: Vec<f64> = train_inputs.iter().chain(test_inputs).copied().collect();
        Ok(Self {
            ntk: ntk(network, &joint, options)?,
            num_train: train_inputs.len() / d,
            num_test: test_inputs.len() / d,
        })
    }

    /// The blocks of K (`rates` = `None`) or of K_η.
    pub fn blocks(&self, rates: Option<&LearningRates>) -> KernelBlocks {
        let joint = self.ntk.kernel(rates);
        if self.num_test == 0 {
            // No held-out points: the joint kernel is the training one, kept, not copied (an
            // n = 32768 kernel is 8.6 GB).
            return KernelBlocks {
                train: joint,
                cross: Vec::new(),
                test: Vec::new(),
            };
        }
        KernelBlocks::split(&joint, self.num_train, self.num_test)
    }
}
