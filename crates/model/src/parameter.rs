//! Which parameter tensor: a typed id with one way to print it (`w1`, `b2`, `a`, the `.npz`
//! keys, learning-rate groups and kernel parts) and one way to parse it back.

use std::cmp::Ordering;
use std::fmt;

use burn::tensor::Tensor;

/// The role of a parameter tensor, which decides its learning rate (`lr_w`, `lr_b`, `lr_a`)
/// and the metric columns it is summed into (`*_w`, `*_b`, `*_a`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ParameterKind {
    /// Hidden-layer weights `w1`, `w2`, ….
    HiddenWeights,
    /// Hidden-layer biases `b1`, `b2`, ….
    HiddenBiases,
    /// Output weights `a`.
    OutputWeights,
}

impl ParameterKind {
    /// Every kind, in metric-column order (w, b, a).
    pub const ALL: [ParameterKind; 3] = [
        ParameterKind::HiddenWeights,
        ParameterKind::HiddenBiases,
        ParameterKind::OutputWeights,
    ];

    /// Column suffix in `metrics.csv`: `w`, `b` or `a`.
    pub fn suffix(self) -> &'static str {
        match self {
            ParameterKind::HiddenWeights => "w",
            ParameterKind::HiddenBiases => "b",
            ParameterKind::OutputWeights => "a",
        }
    }
}

/// One parameter tensor of a network with L hidden layers: W_l `[m_l, m_{l−1}]`, b_l `[m_l]`
/// (layer l = 1 … L) or the output weights a `[m_L]`.
///
/// Printed (and parsed) as `w{l}`, `b{l}`, `a`. Ids order as their names sort (`a` < `b1` <
/// `b10` < `b2` < `w1`), the order in which per-tensor quantities are summed, so that sums are
/// the same numbers whatever the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParameterId {
    /// W_l of hidden layer `l` (1-based).
    Weights(usize),
    /// b_l of hidden layer `l` (1-based).
    Biases(usize),
    /// The output weights a.
    Output,
}

impl ParameterId {
    /// The kind of tensor this is.
    pub fn kind(self) -> ParameterKind {
        match self {
            ParameterId::Weights(_) => ParameterKind::HiddenWeights,
            ParameterId::Biases(_) => ParameterKind::HiddenBiases,
            ParameterId::Output => ParameterKind::OutputWeights,
        }
    }

    /// The hidden layer (1-based) the tensor belongs to; `None` for a.
    pub fn layer(self) -> Option<usize> {
        match self {
            ParameterId::Weights(l) | ParameterId::Biases(l) => Some(l),
            ParameterId::Output => None,
        }
    }

    /// Every parameter of a network with `depth` hidden layers in file order: `w1`, `b1`, …,
    /// `wL`, `bL`, `a`.
    pub fn all(depth: usize) -> Vec<ParameterId> {
        (1..=depth)
            .flat_map(|l| [ParameterId::Weights(l), ParameterId::Biases(l)])
            .chain([ParameterId::Output])
            .collect()
    }

    /// The id printed as `name` (`w3`, `b1`, `a`); `None` for anything else (`w0`, `w`, `x`).
    pub fn parse(name: &str) -> Option<ParameterId> {
        let layer = |rest: &str| {
            let valid = !rest.is_empty() && rest.bytes().all(|c| c.is_ascii_digit());
            valid
                .then(|| rest.parse::<usize>().ok())
                .flatten()
                .filter(|&l| l > 0)
        };
        match name.split_at_checked(1) {
            Some(("a", "")) => Some(ParameterId::Output),
            Some(("w", rest)) => layer(rest).map(ParameterId::Weights),
            Some(("b", rest)) => layer(rest).map(ParameterId::Biases),
            _ => None,
        }
    }

    /// The id of the parameter at Burn module path `path` of an [`Mlp`](crate::Mlp): the l-th
    /// entry (from 0) of its vectors `w`, `b` (paths `w.{l}`, `b.{l}`) is `w{l+1}`, `b{l+1}`;
    /// `a` is `a`.
    pub fn from_module_path(path: &str) -> Option<ParameterId> {
        match path.split_once('.') {
            Some((field, index)) => {
                let layer = index.parse::<usize>().ok()? + 1;
                match field {
                    "w" => Some(ParameterId::Weights(layer)),
                    "b" => Some(ParameterId::Biases(layer)),
                    _ => None,
                }
            }
            None => (path == "a").then_some(ParameterId::Output),
        }
    }
}

impl fmt::Display for ParameterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParameterId::Weights(l) => write!(f, "w{l}"),
            ParameterId::Biases(l) => write!(f, "b{l}"),
            ParameterId::Output => f.write_str("a"),
        }
    }
}

impl Ord for ParameterId {
    fn cmp(&self, other: &Self) -> Ordering {
        self.to_string().cmp(&other.to_string())
    }
}

impl PartialOrd for ParameterId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// One linear map z = c · H_in Wᵀ + b of a network, seen from the output, for the empirical
/// NTK: with δ_i = ∂f(x_i)/∂z(x_i) (row i of `leaf`'s gradient) the map contributes
/// (δδᵀ) ∘ (c² H_in H_inᵀ) through W and δδᵀ through b.
pub struct LayerTap {
    /// c · H_in, the map's input times its scale, without autodiff. Shape `[n, fan_in]`.
    pub scaled_input: Tensor<2>,
    /// The tracked zero tensor added to z. Shape `[n, fan_out]`.
    pub leaf: Tensor<2>,
    /// W's id (`w1`, …, `a`) when W is trained, else `None`.
    pub weight: Option<ParameterId>,
    /// b's id (`b1`, …) when the map has a trained bias, else `None`.
    pub bias: Option<ParameterId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_prints_and_parses_back() {
        for depth in [1, 3, 12] {
            for id in ParameterId::all(depth) {
                assert_eq!(ParameterId::parse(&id.to_string()), Some(id));
            }
        }
        for bad in ["", "w", "b", "w0", "a1", "x", "w1x", "W1", "w-1", "ww1"] {
            assert_eq!(ParameterId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn ids_sort_like_their_names() {
        let mut ids = ParameterId::all(11);
        ids.sort();
        let mut names: Vec<String> = ParameterId::all(11).iter().map(|i| i.to_string()).collect();
        names.sort();
        let sorted: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        assert_eq!(sorted, names);
    }

    #[test]
    fn module_paths_name_the_layer_from_one() {
        assert_eq!(
            ParameterId::from_module_path("w.0"),
            Some(ParameterId::Weights(1))
        );
        assert_eq!(
            ParameterId::from_module_path("b.2"),
            Some(ParameterId::Biases(3))
        );
        assert_eq!(
            ParameterId::from_module_path("a"),
            Some(ParameterId::Output)
        );
        assert_eq!(ParameterId::from_module_path("c.0"), None);
    }
}
