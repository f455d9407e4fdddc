//! What is logged every `log_every` steps: the loss, per-group gradient norms and weight
//! movement, and how the hidden units' activation pattern changes.

use burn::module::Module;
use burn::tensor::{Bool, Tensor};
use overparam_model::{Mlp, NamedArray, ParameterKind};

use crate::alignment::network_teacher_alignment;
use crate::distance::relative_or_absolute_distance;
use crate::generalization::GeneralizationRecord;
use crate::ntk::KernelRecord;
use crate::optimizer::SquaredGradientNorms;

/// Column names of `metrics.csv`, in order (defined with the other files' columns in the
/// Burn-free `overparam-sweep`, which reads them back). Scripts depend on these names.
pub use overparam_sweep::columns::METRIC_COLUMNS;
use overparam_sweep::columns::{ACTIVE_FRACTION, FLIPPED_FRACTION, STEP};

/// One logged step.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricRecord {
    /// Gradient steps taken before this record (0 = the initial network).
    pub step: usize,
    /// Full-batch loss L(θ_t) = (1/2n) Σ_i (f(x_i) − y_i)².
    pub loss: f64,
    /// ‖∂L/∂θ‖_F over the tensors of each group (w, b, a); `None` for a frozen group.
    pub grad_norms: [Option<f64>; 3],
    /// Relative movement ‖θ_t − θ_0‖_F / ‖θ_0‖_F per group (w, b, a); when θ_0 = 0 (e.g. biases
    /// initialised at 0) the absolute movement ‖θ_t − θ_0‖_F.
    pub movements: [f64; 3],
    /// Fraction of (sample, hidden unit) pairs with z > 0, over all n × Σ m_l pairs.
    pub active_fraction: f64,
    /// Fraction of (sample, hidden unit) pairs whose sign of z differs from step 0.
    pub flipped_fraction: f64,
    /// λ_min, λ_max and drift of the NTK at this step, on steps where it is tracked.
    pub kernel: Option<KernelRecord>,
    /// The Polyak–Łojasiewicz ratio ‖∇L‖² / (2L) over the trained tensors; `None` when L = 0
    /// or nothing trains. GD converges linearly while it stays bounded below.
    pub pl_ratio: Option<f64>,
    /// See [`Snapshot::teacher_alignment`].
    pub teacher_alignment: Option<f64>,
    /// The held-out loss and the linearized network's columns, where measured.
    pub generalization: GeneralizationRecord,
}

impl MetricRecord {
    /// A record of `step` from its loss, squared-norm-summed gradient norms and a snapshot.
    pub fn new(
        step: usize,
        loss: f64,
        grad_norms: [Option<f64>; 3],
        snapshot: Snapshot,
        kernel: Option<KernelRecord>,
    ) -> Self {
        let trained: Vec<f64> = grad_norms.iter().flatten().copied().collect();
        let squared_gradient: f64 = trained.iter().map(|g| g * g).sum();
        let pl_ratio = (loss > 0.0 && !trained.is_empty()).then(|| squared_gradient / (2.0 * loss));
        Self {
            kernel,
            step,
            loss,
            grad_norms,
            movements: snapshot.movements,
            active_fraction: snapshot.active_fraction,
            flipped_fraction: snapshot.flipped_fraction,
            pl_ratio,
            teacher_alignment: snapshot.teacher_alignment,
            generalization: GeneralizationRecord::default(),
        }
    }

    /// The same record with the held-out and linearized columns of `generalization`.
    pub fn with_generalization(self, generalization: GeneralizationRecord) -> Self {
        Self {
            generalization,
            ..self
        }
    }

    /// The record as one CSV line (no newline), columns as in [`METRIC_COLUMNS`]; a frozen
    /// group's gradient norm, and the kernel columns on steps where the NTK is not tracked,
    /// are empty fields.
    pub fn csv_row(&self) -> String {
        let fields: Vec<String> = METRIC_COLUMNS
            .iter()
            .zip(self.values())
            .map(|(&column, value)| match (column, value) {
                (_, None) => String::new(),
                (STEP, Some(_)) => self.step.to_string(),
                (ACTIVE_FRACTION | FLIPPED_FRACTION, Some(x)) => format!("{x}"),
                (_, Some(x)) => format!("{x:e}"),
            })
            .collect();
        fields.join(",")
    }

    /// The record's values in the order of [`METRIC_COLUMNS`] (the step as a float); `None`
    /// where [`csv_row`](Self::csv_row) writes an empty field. Both print and parse back to
    /// the same f64.
    pub fn values(&self) -> [Option<f64>; METRIC_COLUMNS.len()] {
        let kernel = |pick: fn(&KernelRecord) -> f64| self.kernel.as_ref().map(pick);
        let linear = self.generalization.linearized.as_ref();
        [
            Some(self.step as f64),
            Some(self.loss),
            self.grad_norms[0],
            self.grad_norms[1],
            self.grad_norms[2],
            Some(self.movements[0]),
            Some(self.movements[1]),
            Some(self.movements[2]),
            Some(self.active_fraction),
            Some(self.flipped_fraction),
            kernel(|k| k.lambda_min),
            kernel(|k| k.lambda_max),
            kernel(|k| k.drift),
            self.pl_ratio,
            self.teacher_alignment,
            self.generalization.test_loss,
            linear.map(|l| l.loss),
            linear.and_then(|l| l.test_loss),
            linear.map(|l| l.distance),
            linear.and_then(|l| l.test_distance),
        ]
    }
}

/// Sums squared per-tensor norms into one norm per group (w, b, a); `None` where no tensor
/// of the group had a gradient.
pub fn group_gradient_norms(norms: &SquaredGradientNorms) -> [Option<f64>; 3] {
    ParameterKind::ALL.map(|kind| {
        let mut group = norms.iter().filter(|(id, _)| id.kind() == kind);
        group
            .next()
            .map(|(_, first)| (first + group.map(|(_, v)| v).sum::<f64>()).sqrt())
    })
}

/// Movement and activity of the network at one step, relative to a [`Baseline`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Snapshot {
    /// See [`MetricRecord::movements`].
    pub movements: [f64; 3],
    /// See [`MetricRecord::active_fraction`].
    pub active_fraction: f64,
    /// See [`MetricRecord::flipped_fraction`].
    pub flipped_fraction: f64,
    /// With a teacher: Σ_r |a_r| max_j cos∠(w_r, w*_j) / Σ_r |a_r| (one hidden layer only).
    pub teacher_alignment: Option<f64>,
}

/// The state at step 0 that movement and flips are measured against.
pub struct Baseline {
    initial_parameters: Vec<NamedArray>,
    initial_signs: Vec<Tensor<2, Bool>>,
    teacher: Option<Vec<Vec<f64>>>,
}

impl Baseline {
    /// Records θ_0 and the sign pattern 1{z > 0} of every hidden layer on `inputs` `[n, d]`.
    pub fn new(model: &Mlp, inputs: Tensor<2>) -> Self {
        let initial_signs = model
            .valid()
            .pre_activations(inputs.inner())
            .into_iter()
            .map(|z| z.greater_elem(0.0))
            .collect();
        Self {
            initial_parameters: model.to_named_arrays(),
            initial_signs,
            teacher: None,
        }
    }

    /// The same baseline, also measuring alignment with the teacher directions w*_j (k rows
    /// of length d).
    pub fn with_teacher(self, directions: Vec<Vec<f64>>) -> Self {
        Self {
            teacher: Some(directions),
            ..self
        }
    }

    /// Movement and activity of `model` on `inputs` `[n, d]` relative to step 0.
    pub fn measure(&self, model: &Mlp, inputs: Tensor<2>) -> Snapshot {
        let (active_fraction, flipped_fraction) = self.activity(model, inputs);
        let current = model.to_named_arrays();
        Snapshot {
            movements: self.movements(&current),
            active_fraction,
            flipped_fraction,
            teacher_alignment: self
                .teacher
                .as_ref()
                .and_then(|teacher| network_teacher_alignment(&current, teacher)),
        }
    }

    /// Relative movement per group (see [`MetricRecord::movements`]) of the parameters
    /// `current` (as from `to_named_arrays`).
    pub fn movements(&self, current: &[NamedArray]) -> [f64; 3] {
        ParameterKind::ALL.map(|kind| {
            relative_or_absolute_distance(|| {
                current
                    .iter()
                    .zip(&self.initial_parameters)
                    .filter(move |(now, _)| now.parameter_id().map(|id| id.kind()) == Some(kind))
                    .flat_map(|(now, start)| {
                        now.values.iter().copied().zip(start.values.iter().copied())
                    })
            })
        })
    }

    /// (active fraction, flipped fraction) of the hidden units of `model` on `inputs`.
    pub fn activity(&self, model: &Mlp, inputs: Tensor<2>) -> (f64, f64) {
        let (mut active, mut flipped, mut total) = (0.0, 0.0, 0.0);
        for (z, initial) in model
            .valid()
            .pre_activations(inputs.inner())
            .into_iter()
            .zip(&self.initial_signs)
        {
            let [n, m] = z.dims();
            let signs = z.greater_elem(0.0);
            active += signs.clone().float().sum().into_scalar::<f64>();
            flipped += signs
                .not_equal(initial.clone())
                .float()
                .sum()
                .into_scalar::<f64>();
            total += (n * m) as f64;
        }
        (active / total, flipped / total)
    }
}
