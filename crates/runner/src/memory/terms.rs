//! The terms of an estimate: what a workload holds in memory at given sizes, each named with
//! its shape.

use super::{
    MemoryTerm, Sizes, Workload, BYTES_PER_SEED, EIGEN_WORKSPACE_KERNELS, EXTREMES_IN_MEMORY_BYTES,
    F64, GRADCHECK_ACTIVATIONS_PER_LAYER, KRYLOV_BASIS_VECTORS, SUMMED_BLOCK_BYTES,
    TRAIN_ACTIVATIONS_PER_LAYER, VEC_HEADER_BYTES,
};

/// Σ of the terms' bytes.
pub(super) fn sum(terms: &[MemoryTerm]) -> f64 {
    terms.iter().map(|t| t.bytes).sum()
}

/// The terms of `workload` at `sizes`, zero-sized ones left out.
pub(super) fn terms(sizes: &Sizes, workload: Workload) -> Vec<MemoryTerm> {
    let mut terms = terms_of(sizes, workload);
    terms.retain(|t| t.bytes > 0.0);
    terms
}

fn term(label: impl Into<String>, bytes: f64) -> MemoryTerm {
    MemoryTerm {
        label: label.into(),
        bytes,
    }
}

/// Every term of `workload` at `sizes`.
pub(super) fn terms_of(sizes: &Sizes, workload: Workload) -> Vec<MemoryTerm> {
    let n = sizes.samples;
    let d = sizes.input_dim;
    let p = sizes.parameters();
    let units = sizes.hidden_units();
    let kernel = n * n * F64;
    let teacher = |copies: f64| {
        let bytes = sizes
            .teacher_width
            .map_or(0.0, |k| k * (d * F64 + VEC_HEADER_BYTES));
        term("teacher [k, d]", copies * bytes)
    };
    match workload {
        Workload::Train {
            dtype_bytes: b,
            kernel_parts,
            threads,
            linearized_parts,
        } => {
            let n_test = sizes.test_samples;
            let mut run = vec![
                term("held-out inputs [n_test, d]", n_test * d * (F64 + b)),
                term("held-out labels [n_test]", n_test * F64),
                term("parameters [P] ×3", 3.0 * p * b),
                term("host parameter copies [P] ×2", p * (b + F64)),
                term("inputs [n, d]", n * d * (F64 + 2.0 * b)),
                term("labels [n]", n * (F64 + 2.0 * b)),
                teacher(1.0),
                term(
                    "activations [n, m] ×6 per layer",
                    n * units * TRAIN_ACTIVATIONS_PER_LAYER * b,
                ),
            ];
            if let Some(parts) = kernel_parts {
                run.push(term(
                    format!("kernels [n, n] ×{} (f64)", parts + 2.0),
                    (parts + 2.0) * kernel,
                ));
                run.push(term(
                    "eigen workspace [n, n] ×3",
                    EIGEN_WORKSPACE_KERNELS * kernel,
                ));
            }
            if let Some(parts) = linearized_parts {
                let joint = (n + n_test) * (n + n_test) * F64;
                run.push(term(
                    format!(
                        "kernels on [X; X_test] [n + n_test, n + n_test] ×{} (f64)",
                        parts + 2.0
                    ),
                    (parts + 2.0) * joint,
                ));
                run.push(term(
                    "eigenvectors [n, n] and cross kernels [n_test, n] ×2",
                    kernel + 2.0 * n_test * n * F64,
                ));
            }
            let parallel = sizes.seeds.min(threads).max(1.0);
            if parallel > 1.0 {
                for t in &mut run {
                    t.label = format!("{} ×{parallel} seeds at once", t.label);
                    t.bytes *= parallel;
                }
            }
            if sizes.seeds > 1.0 {
                run.push(term(
                    "seed bookkeeping S × 1 KiB",
                    sizes.seeds * BYTES_PER_SEED,
                ));
            }
            run
        }
        Workload::Ntk {
            dtype_bytes: b,
            kernel_parts,
            methods,
            makes_labels,
            summed,
            extremes_only,
        } => {
            let computed = [methods.jacobian, methods.closed, methods.analytic]
                .into_iter()
                .filter(|&m| m)
                .count() as f64;
            let mut workspace = if extremes_only {
                // The lower triangle set aside (in memory up to 512 MiB) and the block
                // Lanczos basis (at most 2048 vectors [n]).
                let basis = KRYLOV_BASIS_VECTORS * n * F64;
                ((0.5 * kernel).min(EXTREMES_IN_MEMORY_BYTES) + basis) / kernel.max(1.0)
            } else {
                EIGEN_WORKSPACE_KERNELS
            };
            if summed {
                // Three row blocks of ~384 MiB in all and the [n, m] factors (in `activations`).
                workspace = workspace.max(3.0 * SUMMED_BLOCK_BYTES / kernel.max(1.0));
            } else if methods.jacobian || methods.closed {
                workspace = workspace.max(kernel_parts + 3.0);
            }
            if methods.analytic {
                workspace = workspace.max(4.0);
            }
            let layers = if summed {
                2.0 // σ(Z) and σ′(Z)∘a
            } else if methods.jacobian || methods.closed {
                TRAIN_ACTIVATIONS_PER_LAYER
            } else {
                0.0
            };
            vec![
                term("parameters [P] ×2", p * (b + F64)),
                term("inputs [n, d]", n * d * (F64 + b)),
                term("labels [n]", if makes_labels { n * F64 } else { 0.0 }),
                teacher(if makes_labels { 1.0 } else { 0.0 }),
                term(
                    format!("activations [n, m] ×{layers} per layer"),
                    n * units * layers * b,
                ),
                term(
                    format!("kernels [n, n] ×{computed} (f64)"),
                    computed * kernel,
                ),
                term(
                    format!("kernel workspace [n, n] ×{workspace:.2}"),
                    workspace * kernel,
                ),
            ]
        }
        Workload::Gradcheck => vec![
            term("parameters [P] ×6", 6.0 * p * F64),
            term("per-sample Jacobian [n, P]", n * p * F64),
            term("inputs [n, d] ×3", 3.0 * n * d * F64),
            term("labels [n] ×3", 3.0 * n * F64),
            teacher(1.0),
            term(
                "activations [n, m] ×8 per layer",
                n * units * GRADCHECK_ACTIVATIONS_PER_LAYER * F64,
            ),
        ],
    }
}
