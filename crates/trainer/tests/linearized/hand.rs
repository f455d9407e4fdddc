//! The reference: an `ntk`-parameterized MLP on the host, its per-sample Jacobian by hand-
//! written backpropagation, and the linear model at θ_0 stepped by hand in output and parameter
//! space.

use super::*;

// ---------------------------------------------------------------------------------------------
// A host network and its per-sample Jacobian, by hand (ntk parameterization only).
// ---------------------------------------------------------------------------------------------

/// The parameters of an `ntk`-parameterized MLP on the host, read from named arrays.
pub(super) struct HostNet {
    /// W_l `[m_l][fan_in]`.
    pub(super) w: Vec<Vec<Vec<f64>>>,
    /// b_l `[m_l]`.
    pub(super) b: Vec<Vec<f64>>,
    /// a `[m_L]`.
    pub(super) a: Vec<f64>,
    pub(super) activation: Activation,
}

pub(super) fn find<'a>(arrays: &'a [NamedArray], name: &str) -> &'a NamedArray {
    arrays
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("array {name}"))
}

impl HostNet {
    pub(super) fn new(config: &MlpConfig, arrays: &[NamedArray]) -> Self {
        assert_eq!(config.parameterization, Parameterization::Ntk);
        let mut w = Vec::new();
        let mut b = Vec::new();
        for l in 1..=config.depth() {
            let wl = find(arrays, &format!("w{l}"));
            let cols = wl.shape[1];
            w.push(wl.values.chunks_exact(cols).map(<[f64]>::to_vec).collect());
            b.push(find(arrays, &format!("b{l}")).values.clone());
        }
        Self {
            w,
            b,
            a: find(arrays, "a").values.clone(),
            activation: config.activation,
        }
    }

    /// c_l of layer l (0-based): 1 for the first, 1/√fan_in after (the `ntk` table).
    pub(super) fn input_scale(&self, l: usize) -> f64 {
        if l == 0 {
            1.0
        } else {
            1.0 / (self.w[l][0].len() as f64).sqrt()
        }
    }

    /// (z_l for every layer, h_l for every layer with h_0 = x, f).
    pub(super) fn forward(&self, x: &[f64]) -> (Vec<Vec<f64>>, Vec<Vec<f64>>, f64) {
        let mut hs = vec![x.to_vec()];
        let mut zs = Vec::new();
        for l in 0..self.w.len() {
            let c = self.input_scale(l);
            let h = hs.last().unwrap();
            let z: Vec<f64> = self.w[l]
                .iter()
                .zip(&self.b[l])
                .map(|(row, b)| c * row.iter().zip(h).map(|(w, v)| w * v).sum::<f64>() + b)
                .collect();
            hs.push(z.iter().map(|&v| self.activation.value(v)).collect());
            zs.push(z);
        }
        let s = 1.0 / (self.a.len() as f64).sqrt();
        let f = s * self
            .a
            .iter()
            .zip(hs.last().unwrap())
            .map(|(a, h)| a * h)
            .sum::<f64>();
        (zs, hs, f)
    }

    pub(super) fn output(&self, x: &[f64]) -> f64 {
        self.forward(x).2
    }

    /// ∂f(x)/∂θ by hand-written backpropagation, by tensor: (name, flattened gradient) for
    /// w1, b1, …, wL, bL, a.
    pub(super) fn gradient(&self, x: &[f64]) -> Vec<(String, Vec<f64>)> {
        let (zs, hs, _) = self.forward(x);
        let depth = self.w.len();
        let s = 1.0 / (self.a.len() as f64).sqrt();
        let mut out: Vec<(String, Vec<f64>)> = Vec::new();
        // δ_L = ∂f/∂z_L = s a ∘ σ′(z_L).
        let mut delta: Vec<f64> = self
            .a
            .iter()
            .zip(&zs[depth - 1])
            .map(|(a, &z)| s * a * self.activation.slope(z))
            .collect();
        let mut layers = Vec::new();
        for l in (0..depth).rev() {
            let c = self.input_scale(l);
            let h_in = &hs[l];
            let dw: Vec<f64> = delta
                .iter()
                .flat_map(|d| h_in.iter().map(move |h| d * c * h))
                .collect();
            layers.push((l, dw, delta.clone()));
            if l > 0 {
                // δ_{l−1} = σ′(z_{l−1}) ∘ (c_l W_lᵀ δ_l).
                delta = (0..h_in.len())
                    .map(|k| {
                        let back: f64 = self.w[l]
                            .iter()
                            .zip(&delta)
                            .map(|(row, d)| row[k] * d)
                            .sum();
                        c * back * self.activation.slope(zs[l - 1][k])
                    })
                    .collect();
            }
        }
        layers.reverse();
        for (l, dw, db) in layers {
            out.push((format!("w{}", l + 1), dw));
            out.push((format!("b{}", l + 1), db));
        }
        out.push(("a".into(), hs[depth].iter().map(|h| s * h).collect()));
        out
    }
}

/// Whether tensor `name` (`w2`, `b1`, `a`, …) is trained under `config`'s flags, read by hand.
pub(super) fn trained(config: &MlpConfig, name: &str) -> bool {
    let layer_trained = |l: usize| config.trainable_layers.get(l - 1).copied().unwrap_or(true);
    let layer = || name[1..].parse::<usize>().unwrap();
    match &name[..1] {
        "w" => config.trainable.w && layer_trained(layer()),
        "b" => config.trainable.b && layer_trained(layer()),
        _ => config.trainable.a,
    }
}

/// η of tensor `name`, read by hand from the rates (per layer when given, else by kind).
pub(super) fn rate_of(rates: &LearningRates, name: &str) -> f64 {
    if !rates.per_layer.is_empty() {
        return match &name[..1] {
            "a" => *rates.per_layer.last().unwrap(),
            _ => rates.per_layer[name[1..].parse::<usize>().unwrap() - 1],
        };
    }
    match &name[..1] {
        "w" => rates.hidden_weights,
        "b" => rates.hidden_biases,
        _ => rates.output_weights,
    }
}

/// J_g `[rows][P_g]` of one trained tensor with its rate η_g.
pub(super) struct Group {
    pub(super) rate: f64,
    pub(super) rows: Vec<Vec<f64>>,
}

/// The Jacobian of the trained tensors at `inputs` `[rows, d]`, one group per tensor.
pub(super) fn jacobian(
    net: &HostNet,
    config: &MlpConfig,
    rates: &LearningRates,
    inputs: &[f64],
) -> Vec<Group> {
    let per_sample: Vec<Vec<(String, Vec<f64>)>> = inputs
        .chunks_exact(config.input_dim)
        .map(|x| net.gradient(x))
        .collect();
    per_sample[0]
        .iter()
        .enumerate()
        .filter(|(_, (name, _))| trained(config, name))
        .map(|(g, (name, _))| Group {
            rate: rate_of(rates, name),
            rows: per_sample.iter().map(|s| s[g].1.clone()).collect(),
        })
        .collect()
}

pub(super) fn dot(u: &[f64], v: &[f64]) -> f64 {
    u.iter().zip(v).map(|(a, b)| a * b).sum()
}

/// Σ_g η_g J_a,g J_b,gᵀ `[rows_a][rows_b]`.
pub(super) fn weighted_gram(a: &[Group], b: &[Group]) -> Vec<Vec<f64>> {
    let (na, nb) = (a[0].rows.len(), b[0].rows.len());
    (0..na)
        .map(|i| {
            (0..nb)
                .map(|j| {
                    a.iter()
                        .zip(b)
                        .map(|(ga, gb)| ga.rate * dot(&ga.rows[i], &gb.rows[j]))
                        .sum()
                })
                .collect()
        })
        .collect()
}

/// The linear model at θ_0: f_0 and J on the training and held-out points, built by hand.
pub(super) struct HandLinear {
    pub(super) f0: Vec<f64>,
    pub(super) f0_test: Vec<f64>,
    pub(super) jac: Vec<Group>,
    pub(super) jac_test: Vec<Group>,
    pub(super) targets: Vec<f64>,
}

impl HandLinear {
    pub(super) fn new(
        config: &MlpConfig,
        arrays: &[NamedArray],
        data: &Dataset,
        rates: &LearningRates,
    ) -> Self {
        let net = HostNet::new(config, arrays);
        let test = data.test.as_ref().expect("held-out points");
        let outputs = |inputs: &[f64]| -> Vec<f64> {
            inputs
                .chunks_exact(data.input_dim)
                .map(|x| net.output(x))
                .collect()
        };
        Self {
            f0: outputs(&data.inputs),
            f0_test: outputs(&test.inputs),
            jac: jacobian(&net, config, rates, &data.inputs),
            jac_test: jacobian(&net, config, rates, &test.inputs),
            targets: data.targets.clone(),
        }
    }

    /// (f_lin,t(X), f_lin,t(X_test)) for t = 0..=steps by the output-space recursion
    /// f ← f − (1/n) K_η (f − y), f_test ← f_test − (1/n) K_η(X_test, X) (f − y).
    pub(super) fn output_space(&self, steps: usize) -> Vec<(Vec<f64>, Vec<f64>)> {
        let n = self.f0.len() as f64;
        let k = weighted_gram(&self.jac, &self.jac);
        let kt = weighted_gram(&self.jac_test, &self.jac);
        let (mut f, mut ft) = (self.f0.clone(), self.f0_test.clone());
        let mut path = vec![(f.clone(), ft.clone())];
        for _ in 0..steps {
            let r: Vec<f64> = f.iter().zip(&self.targets).map(|(f, y)| f - y).collect();
            f.iter_mut()
                .zip(&k)
                .for_each(|(f, row)| *f -= dot(row, &r) / n);
            ft.iter_mut()
                .zip(&kt)
                .for_each(|(f, row)| *f -= dot(row, &r) / n);
            path.push((f.clone(), ft.clone()));
        }
        path
    }

    /// The same by gradient descent on θ: f_lin = f_0 + J (θ − θ_0),
    /// θ ← θ − η_g (1/n) J_gᵀ (f_lin(X) − y) per tensor g.
    pub(super) fn parameter_space(&self, steps: usize) -> Vec<(Vec<f64>, Vec<f64>)> {
        let n = self.f0.len() as f64;
        let mut shift: Vec<Vec<f64>> = self
            .jac
            .iter()
            .map(|g| vec![0.0; g.rows[0].len()])
            .collect();
        let outputs = |f0: &[f64], jac: &[Group], shift: &[Vec<f64>]| -> Vec<f64> {
            f0.iter()
                .enumerate()
                .map(|(i, f)| {
                    f + jac
                        .iter()
                        .zip(shift)
                        .map(|(g, s)| dot(&g.rows[i], s))
                        .sum::<f64>()
                })
                .collect()
        };
        let mut path = Vec::new();
        for step in 0..=steps {
            let f = outputs(&self.f0, &self.jac, &shift);
            let ft = outputs(&self.f0_test, &self.jac_test, &shift);
            if step < steps {
                let r: Vec<f64> = f.iter().zip(&self.targets).map(|(f, y)| f - y).collect();
                for (g, s) in self.jac.iter().zip(shift.iter_mut()) {
                    for (p, sp) in s.iter_mut().enumerate() {
                        let gradient: f64 = g
                            .rows
                            .iter()
                            .zip(&r)
                            .map(|(row, r)| row[p] * r)
                            .sum::<f64>()
                            / n;
                        *sp -= g.rate * gradient;
                    }
                }
            }
            path.push((f, ft));
        }
        path
    }
}
