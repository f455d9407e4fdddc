//! One trained student as the analysis sees it: its width and seed, whether it reached the
//! target loss, its final-phase rate, and each neuron's weight and cosines with the teacher.
//!
//! A ReLU neuron without bias is positively homogeneous, a_r σ(w_r·x) = a_r‖w_r‖ σ(ŵ_r·x), so
//! what it contributes to the output is measured by |a_r|‖w_r‖, and its direction by ŵ_r.

use std::fs::File;
use std::path::Path;

use anyhow::{ensure, Context};
use ndarray::{Array2, ArrayD, Ix2};
use ndarray_npy::{read_npy, NpzReader};

use overparam_analysis::plot::data::{value_order, Run, Sweep};
use overparam_sweep::columns::{
    FINAL_LOSS, LOSS, MODEL_WIDTH, SEED, STEPS_TO_TARGET, TEACHER_ALIGNMENT,
};

use super::rate::{final_phase_rate, FinalRate};
use super::{ALIGNED_COSINE, NEGLIGIBLE_SHARE, RATE_DECADES};

/// One student neuron at the end of training.
#[derive(Clone, Debug, PartialEq)]
pub struct Neuron {
    /// Its share of the output weight: |a_r|‖w_r‖ / Σ_s |a_s|‖w_s‖ (0 when the sum is 0).
    pub share: f64,
    /// cos∠(w_r, w*_j) for each teacher neuron j.
    pub cosines: Vec<f64>,
    /// ŵ_r = w_r/‖w_r‖ (zero when w_r = 0).
    pub direction: Vec<f64>,
}

impl Neuron {
    /// max_j cos∠(w_r, w*_j): how close it is to its nearest teacher neuron.
    pub fn best_cosine(&self) -> f64 {
        self.cosines
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// Whether it carries a non-negligible share of the output weight (≥ [`NEGLIGIBLE_SHARE`]).
    pub fn non_negligible(&self) -> bool {
        self.share >= NEGLIGIBLE_SHARE
    }

    /// Non-negligible and not within cos ≥ [`ALIGNED_COSINE`] of any teacher neuron.
    pub fn misaligned(&self) -> bool {
        self.non_negligible() && self.best_cosine() < ALIGNED_COSINE
    }

    /// Points against a teacher neuron (min_j cos ≤ −[`ALIGNED_COSINE`]): σ(−w*·x) =
    /// σ(w*·x) − w*·x stands in for a teacher neuron once a linear term is added elsewhere.
    pub fn anti_aligned(&self) -> bool {
        self.cosines.iter().any(|&c| c <= -ALIGNED_COSINE)
    }
}

/// A trained student network (one successful run of the sweep).
#[derive(Clone, Debug, PartialEq)]
pub struct Student {
    /// The run id (its directory under `runs/`).
    pub id: String,
    /// m: hidden neurons.
    pub width: usize,
    /// The run's seed, as written in `results.csv`.
    pub seed: String,
    /// The loss at step 0 (the first logged point).
    pub start_loss: Option<f64>,
    /// 1 − teacher_alignment (Σ_r |a_r| max_j cos∠(w_r, w*_j) / Σ_r |a_r|) at the first and
    /// the last logged step: how far the neurons are from the teacher's directions.
    pub misalignment: Option<(f64, f64)>,
    /// The loss at the end.
    pub final_loss: Option<f64>,
    /// The gradient steps to the target loss, when it was reached.
    pub steps_to_target: Option<f64>,
    /// The rate fitted over the last [`RATE_DECADES`] decades of its loss curve.
    pub rate: Option<FinalRate>,
    /// Its neurons, in network order.
    pub neurons: Vec<Neuron>,
}

impl Student {
    /// Whether it reached its target loss within the step budget.
    pub fn reached_target(&self) -> bool {
        self.steps_to_target.is_some()
    }

    /// Its misaligned neurons.
    pub fn misaligned(&self) -> impl Iterator<Item = &Neuron> {
        self.neurons.iter().filter(|n| n.misaligned())
    }

    /// The share of the output weight its misaligned neurons carry together.
    pub fn misaligned_share(&self) -> f64 {
        self.misaligned().fold(0.0, |total, n| total + n.share)
    }

    /// The smallest best cosine among its non-negligible neurons.
    pub fn worst_cosine(&self) -> Option<f64> {
        self.neurons
            .iter()
            .filter(|n| n.non_negligible())
            .map(Neuron::best_cosine)
            .reduce(f64::min)
    }

    /// Whether another non-negligible neuron points opposite to `neuron` (cos∠ ≤
    /// −[`ALIGNED_COSINE`]): with output weights of opposite sign the pair σ(v·x) − σ(−v·x)
    /// = v·x is a linear term.
    pub fn has_opposite(&self, neuron: &Neuron) -> bool {
        self.neurons.iter().any(|other| {
            let cosine: f64 = other
                .direction
                .iter()
                .zip(&neuron.direction)
                .map(|(u, v)| u * v)
                .sum();
            other.non_negligible() && cosine <= -ALIGNED_COSINE
        })
    }

    /// Its misaligned neurons counted by kind: [all, pointing against a teacher neuron, the
    /// others with an opposite partner]. The two kinds are how a ReLU network without bias
    /// represents the teacher's function with unaligned neurons (σ(z) = σ(−z) + z).
    pub fn misalignment(&self) -> [usize; 3] {
        let mut counts = [0; 3];
        for neuron in self.misaligned() {
            counts[0] += 1;
            if neuron.anti_aligned() {
                counts[1] += 1;
            } else if self.has_opposite(neuron) {
                counts[2] += 1;
            }
        }
        counts
    }

    /// k: the teacher's neurons (columns of `alignment.npy`).
    pub fn teacher_width(&self) -> usize {
        self.neurons.first().map_or(0, |n| n.cosines.len())
    }
}

/// [`Student::misalignment`] summed over `students`.
pub fn total_misalignment<'a>(students: impl IntoIterator<Item = &'a Student>) -> [usize; 3] {
    students.into_iter().fold([0; 3], |total, s| {
        let counts = s.misalignment();
        [0, 1, 2].map(|i| total[i] + counts[i])
    })
}

/// The successful runs of the sweep in `dir`, by width and then seed.
pub fn read_students(dir: &Path) -> anyhow::Result<Vec<Student>> {
    let sweep = Sweep::read(dir)?;
    let mut students = sweep
        .runs
        .iter()
        .map(|run| read_student(&dir.join("runs").join(&run.id), run))
        .collect::<anyhow::Result<Vec<Student>>>()?;
    students.sort_by(|a, b| a.width.cmp(&b.width).then(value_order(&a.seed, &b.seed)));
    Ok(students)
}

/// One run, from its `results.csv` row, `metrics.csv`, `params_final.npz` and `alignment.npy`.
fn read_student(run_dir: &Path, run: &Run) -> anyhow::Result<Student> {
    let width = run.number(MODEL_WIDTH).with_context(|| {
        format!(
            "{}: no model.width in results.csv or summary.json",
            run_dir.display()
        )
    })?;
    let neurons = read_neurons(run_dir)?;
    let loss = run.curve(LOSS)?;
    let alignment = run.curve(TEACHER_ALIGNMENT)?;
    ensure!(
        neurons.len() == width as usize,
        "{}: params_final.npz has {} neurons but model.width is {width}",
        run_dir.display(),
        neurons.len()
    );
    Ok(Student {
        id: run.id.clone(),
        width: width as usize,
        seed: run.value(SEED).unwrap_or_default(),
        start_loss: loss
            .first()
            .and_then(|&(step, loss)| (step == 0.0).then_some(loss)),
        misalignment: alignment
            .first()
            .zip(alignment.last())
            .map(|(&(_, first), &(_, last))| (1.0 - first, 1.0 - last)),
        final_loss: run.number(FINAL_LOSS),
        steps_to_target: run.number(STEPS_TO_TARGET),
        rate: final_phase_rate(&loss, RATE_DECADES),
        neurons,
    })
}

/// The neurons of the network in `run_dir`: shares from `params_final.npz` (`w1` `[m, d]`,
/// `a` `[m]`), cosines from `alignment.npy` (`[m, k]`).
fn read_neurons(run_dir: &Path) -> anyhow::Result<Vec<Neuron>> {
    let params = run_dir.join("params_final.npz");
    let w1 = read_npz(&params, "w1")?;
    let a = read_npz(&params, "a")?;
    let w1 = w1
        .into_dimensionality::<Ix2>()
        .with_context(|| format!("{}: `w1` is not a matrix [m, d]", params.display()))?;
    ensure!(
        a.len() == w1.nrows(),
        "{}: `a` has {} entries but `w1` has {} rows",
        params.display(),
        a.len(),
        w1.nrows()
    );
    let path = run_dir.join("alignment.npy");
    let cosines: Array2<f64> =
        read_npy(&path).with_context(|| format!("reading {} as float64 [m, k]", path.display()))?;
    ensure!(
        cosines.nrows() == w1.nrows(),
        "{}: {} rows, but params_final.npz has {} neurons",
        path.display(),
        cosines.nrows(),
        w1.nrows()
    );
    let norms: Vec<f64> = w1.rows().into_iter().map(|w| w.dot(&w).sqrt()).collect();
    let total: f64 = norms.iter().zip(&a).map(|(norm, a)| a.abs() * norm).sum();
    Ok(w1
        .rows()
        .into_iter()
        .zip(norms.iter().zip(&a))
        .zip(cosines.rows())
        .map(|((w, (&norm, a)), row)| Neuron {
            share: if total > 0.0 {
                a.abs() * norm / total
            } else {
                0.0
            },
            cosines: row.to_vec(),
            direction: w
                .iter()
                .map(|x| if norm > 0.0 { x / norm } else { 0.0 })
                .collect(),
        })
        .collect())
}

/// Array `name` of the `.npz` archive at `path`, as float64.
fn read_npz(path: &Path, name: &str) -> anyhow::Result<ArrayD<f64>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut npz = NpzReader::new(file).with_context(|| format!("reading {}", path.display()))?;
    npz.by_name(name)
        .with_context(|| format!("{}: reading array `{name}` as float64", path.display()))
}
