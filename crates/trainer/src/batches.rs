//! SGD's sample order: consecutive batches of a fresh random permutation each epoch, drawn
//! from the run's `Batches` stream so that a resumed run continues the same order.

use burn::tensor::{Int, Tensor, TensorData};
use rand::seq::SliceRandom;

use crate::resume::BatchOrderState;
use crate::rng::{stream_rng, RngStream};

/// SGD's sample order: consecutive batches of a fresh random permutation each epoch.
pub(crate) struct BatchSchedule {
    batch_size: usize,
    order: Vec<i64>,
    position: usize,
    rng: rand_chacha::ChaCha8Rng,
}

impl BatchSchedule {
    /// A schedule that shuffles before its first batch.
    pub(crate) fn new(batch_size: usize, num_samples: usize, seed: u64) -> Self {
        let order = (0..num_samples as i64).collect();
        let rng = stream_rng(seed, RngStream::Batches);
        Self {
            batch_size,
            order,
            position: num_samples,
            rng,
        }
    }

    /// The schedule where a checkpoint left it.
    pub(crate) fn resumed(batch_size: usize, state: BatchOrderState, seed: u64) -> Self {
        let mut rng = stream_rng(seed, RngStream::Batches);
        rng.set_word_pos(state.rng_word_position);
        Self {
            batch_size,
            order: state.order,
            position: state.position,
            rng,
        }
    }

    /// What [`BatchSchedule::resumed`] needs to continue from here.
    pub(crate) fn state(&self) -> BatchOrderState {
        BatchOrderState {
            order: self.order.clone(),
            position: self.position,
            rng_word_position: self.rng.get_word_pos(),
        }
    }

    /// The next batch of `inputs` `[n, d]` and `targets` `[n]`.
    pub(crate) fn next(&mut self, inputs: Tensor<2>, targets: Tensor<1>) -> (Tensor<2>, Tensor<1>) {
        if self.position >= self.order.len() {
            self.order.shuffle(&mut self.rng);
            self.position = 0;
        }
        let end = (self.position + self.batch_size).min(self.order.len());
        let chosen = self.order[self.position..end].to_vec();
        self.position = end;
        let count = chosen.len();
        let indices =
            Tensor::<1, Int>::from_data(TensorData::new(chosen, [count]), &inputs.device());
        (
            inputs.select(0, indices.clone()),
            targets.select(0, indices),
        )
    }
}
