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

    /// The sample indices of the next batch (1 ≤ count ≤ batch_size, fewer only at the end of
    /// an epoch), reshuffling first when the epoch is used up. The one place the order is
    /// chosen: both engines take their batches from here.
    pub(crate) fn next_indices(&mut self) -> &[i64] {
        if self.position >= self.order.len() {
            self.order.shuffle(&mut self.rng);
            self.position = 0;
        }
        let start = self.position;
        let end = (start + self.batch_size).min(self.order.len());
        self.position = end;
        &self.order[start..end]
    }

    /// The next batch of `inputs` `[n, d]` and `targets` `[n]` ([`BatchSchedule::next_indices`]
    /// selected on the device): `[count, d]` and `[count]`.
    pub(crate) fn next(&mut self, inputs: Tensor<2>, targets: Tensor<1>) -> (Tensor<2>, Tensor<1>) {
        let chosen = self.next_indices().to_vec();
        let count = chosen.len();
        let indices =
            Tensor::<1, Int>::from_data(TensorData::new(chosen, [count]), &inputs.device());
        (
            inputs.select(0, indices.clone()),
            targets.select(0, indices),
        )
    }
}
