//! SGD's mini-batch for the fused host step: the rows of the next batch gathered into buffers
//! reused from step to step, one pass of the host network on them (in the run's workspace,
//! resized to the batch), and the update. The batch indices come from
//! [`BatchSchedule::next_indices`](crate::batches::BatchSchedule), the order the autodiff step
//! selects on its device.

use overparam_cpu::{HostMlp, Real, StepRates, Workspace};

use crate::divergence::{first_divergence, Divergence};

/// The rows of one mini-batch, reused from step to step.
pub(crate) struct HostBatch<T> {
    /// x_i of the batch's samples, `[count, d]` row-major.
    inputs: Vec<T>,
    /// y_i of the batch's samples, `[count]`.
    targets: Vec<T>,
}

impl<T> Default for HostBatch<T> {
    /// No rows yet (the first batch sizes the buffers).
    fn default() -> Self {
        Self {
            inputs: Vec::new(),
            targets: Vec::new(),
        }
    }
}

impl<T: Real> HostBatch<T> {
    /// Copies the samples `indices` of `inputs` `[n, d]` and `targets` `[n]` into the batch
    /// buffers, in the order given (they allocate only while growing to the largest batch).
    fn gather(&mut self, indices: &[i64], inputs: &[T], targets: &[T], input_dim: usize) {
        self.inputs.clear();
        self.targets.clear();
        for &index in indices {
            let row = index as usize;
            self.inputs
                .extend_from_slice(&inputs[row * input_dim..(row + 1) * input_dim]);
            self.targets.push(targets[row]);
        }
    }

    /// One SGD step of `network` on the samples `indices` of `inputs` `[n, d]`, `targets`
    /// `[n]`: L_B = (1/2|B|) Σ_{i∈B} (f(x_i) − y_i)² and ∂L_B/∂θ, then θ_t, L_B and ∂L_B/∂θ
    /// checked in that order (a non-finite one is the error and nothing moves), then
    /// θ ← θ − η_θ ∂L_B/∂θ. The pass runs in `work`, sized here to the batch.
    pub(crate) fn descend(
        &mut self,
        network: &mut HostMlp<T>,
        work: &mut Workspace<T>,
        indices: &[i64],
        [inputs, targets]: [&[T]; 2],
        rates: &StepRates,
    ) -> Result<(), Divergence> {
        self.gather(indices, inputs, targets, network.layers[0].fan_in);
        work.set_samples(indices.len());
        let loss = network.loss_and_gradients(&self.inputs, &self.targets, work);
        let gradients = &work.gradients;
        if let Some(cause) = first_divergence(
            || network.first_non_finite(),
            loss,
            || gradients.first_non_finite(),
        ) {
            return Err(cause);
        }
        network.descend(gradients, rates);
        Ok(())
    }
}
