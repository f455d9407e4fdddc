//! The infinite-width ReLU kernel with a constant bias B ≠ 0 (`ntk` with `NtkMethod::Analytic`),
//! checked two ways:
//!
//! - against high-precision values of its two Gaussian expectations, E[relu(u) relu(u′)] and
//!   P(u > 0, u′ > 0) for (u, u′) = (w·x + B, w·x′ + B), w ~ N(0, I), and of the diagonal
//!   E[relu(u)²], P(u > 0): B ∈ [−3, 3], correlations ρ from −0.999 to 0.999, equal and
//!   unequal norms, values from 1e-149 to 10 (and some that underflow). The references are
//!   computed with mpmath from the exact values of the f64 Gram entries q = x·x, q′ = x′·x′,
//!   c = x·x′ that the analytic kernel forms (so that they measure the kernel function, not the
//!   rounding of its inputs), by two independent methods that agree to 1e-30: conditioning on
//!   w·x with the inner expectation in closed form, and the closed form through the bivariate
//!   normal CDF Φ₂ (Sheppard's integral); the script is at the end of this file.
//!   Bar: 1e-13 relative, 1e-12 below 1e-100 (the issue asks for ~1e-12); see the
//!   printed worst errors. References below 1e-280 underflow in f64: the kernel
//!   must come out below 1e-280 there. (From the exact x instead, the rounding of q′ and c moves
//!   the kernel by up to 2e-11 relative at those 1e-149 values, ≤ 1e-13 for values above 1e-40:
//!   the conditioning of the problem, not an error of the method.)
//! - against Monte-Carlo averages of the closed-form NTK of very wide networks (width 2^19,
//!   64 independent draws), per parameter tensor (the kernel weighted by a rate of 1 on that
//!   tensor and 0 on the others), for B from −3 to 2: every entry within 6
//!   standard errors of the mean, with standard errors small enough that K∞ 10% off fails.
//!
//! Before this check the B ≠ 0 kernel used a fixed 8 × 16-node Gauss–Legendre rule: its error
//! was up to 8.5e-6 relative at ρ = 0.999 (entries ~0.3), 5e-10 at ρ = 0.99, 9e-13 on the
//! diagonal (cancellation), and wrong in the leading digit for values below ~1e-100.

mod common;

use common::*;
use overparam_model::{Activation, Mlp, OutputInit, Parameterization, Trainable};
use overparam_trainer::data::RandomLabels;
use overparam_trainer::ntk::{ntk, NtkMethod, NtkOptions};
use overparam_trainer::{stream_rng, LearningRates, RngStream};

/// The relative bar against the high-precision references: 1e-13, or 1e-12 for values below
/// 1e-100 (far tails, irrelevant to any kernel matrix, where the order of the pair matters
/// at 1e-13).
fn bar(reference: f64) -> f64 {
    if reference >= 1e-100 {
        1e-13
    } else {
        1e-12
    }
}
/// Below this a reference underflows in f64: the kernel must be below it too.
const UNDERFLOW: f64 = 1e-280;

/// Trains only the output weights: K∞ = E[σ(u)σ(u′)].
const ONLY_A: Trainable = Trainable {
    w: false,
    b: false,
    a: true,
};
/// Trains only the biases: K∞ = E[σ′(u)σ′(u′)] = P(u > 0, u′ > 0).
const ONLY_B: Trainable = Trainable {
    w: false,
    b: true,
    a: false,
};

/// K∞ `[n, n]` of a ReLU network with biases at `bias`, training only `trainable`.
fn limit(inputs: &[f64], input_dim: usize, bias: f64, trainable: Trainable) -> Vec<f64> {
    let config = two_layer_config(
        input_dim,
        1,
        Activation::Relu,
        Parameterization::Ntk,
        bias,
        trainable,
    );
    analytic_kernel(&config, inputs).expect("relu under ntk is supported")
}

/// |got − want| / want, or for an underflowing reference 0 when `got` is below it too.
fn relative_deviation(got: f64, want: f64) -> f64 {
    if want < UNDERFLOW {
        return if (0.0..UNDERFLOW).contains(&got) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    (got - want).abs() / want
}

/// (bias B, x = (s, 0) with this s, x′ = (p, q), E[relu(u) relu(u′)], P(u > 0, u′ > 0)),
/// made by `reference_table` at the end of this file: for B in (−3, −2.5, −1.5, −0.5, 0.5, 1.5,
/// 3), ρ in (−0.999, −0.9, −0.5, 0, 0.3, 0.7, 0.9, 0.99, 0.999), (s, s′) in ((1, 1), (0.6, 1.7)),
/// p = s′ρ and q = s′√(1 − ρ²) in f64.
#[rustfmt::skip]
const OFF_DIAGONAL: [(f64, f64, f64, f64, f64, f64); 126] = [
    (-3.0, 1.0, -0.999, 0.04471017781221601, 0.0, 0.0),
    (-3.0, 0.6, -1.6983, 0.07600730228076723, 0.0, 0.0),
    (-3.0, 1.0, -0.9, 0.4358898943540673, 3.49774051105465228e-46, 3.269436016883931726e-43),
    (-3.0, 0.6, -1.53, 0.7410128204019143, 1.4229311455179117782e-57, 1.6435806044175644665e-54),
    (-3.0, 1.0, -0.5, 0.8660254037844386, 1.6683716542214275083e-12, 7.1475021812707746962e-11),
    (-3.0, 0.6, -0.85, 1.4722431864335457, 1.5287302029087471337e-15, 7.7517631607599613883e-14),
    (-3.0, 1.0, 0.0, 1.0, 1.460419220382120452e-7, 1.8222246957988036831e-6),
    (-3.0, 0.6, 0.0, 1.7, 8.5035133045247956591e-10, 1.112397424481975164e-8),
    (-3.0, 1.0, 0.3, 0.9539392014169457, 2.9438056928421542935e-6, 2.3851515745155805597e-5),
    (-3.0, 0.6, 0.51, 1.6216966424088075, 1.6833213817294064416e-8, 1.1853210819527968748e-7),
    (-3.0, 1.0, 0.7, 0.714142842854285, 4.1564586989534596578e-5, 2.2997367355883788886e-4),
    (-3.0, 0.6, 1.19, 1.2140428328522845, 1.0847732278628846258e-7, 2.8523661905972970034e-7),
    (-3.0, 1.0, 0.9, 0.4358898943540673, 1.1909284216463325892e-4, 6.1040438530377868702e-4),
    (-3.0, 0.6, 1.53, 0.7410128204019143, 1.6691516337615804676e-7, 2.8665157186519705097e-7),
    (-3.0, 1.0, 0.99, 0.14106735979665894, 1.9159638098479812488e-4, 1.1015199986206225135e-3),
    (-3.0, 0.6, 1.683, 0.2398145116543202, 1.9322977767461926232e-7, 2.8665157187919377412e-7),
    (-3.0, 1.0, 0.999, 0.04471017781221601, 2.0213787449182227771e-4, 1.2708810536105265583e-3),
    (-3.0, 0.6, 1.6983, 0.07600730228076723, 1.9586123910447025141e-7, 2.8665157187919377412e-7),
    (-2.5, 1.0, -0.999, 0.04471017781221601, 0.0, 0.0),
    (-2.5, 0.6, -1.6983, 0.07600730228076723, 0.0, 0.0),
    (-2.5, 1.0, -0.9, 0.4358898943540673, 6.2175239056714384599e-34, 4.100525070802390134e-31),
    (-2.5, 0.6, -1.53, 0.7410128204019143, 6.7004461403352110145e-42, 5.4434440168820285936e-39),
    (-2.5, 1.0, -0.5, 0.8660254037844386, 7.6923378083891389757e-10, 2.4373545930367283921e-8),
    (-2.5, 0.6, -0.85, 1.4722431864335457, 5.4059720636845841022e-12, 2.0106563413675350057e-10),
    (-2.5, 1.0, 0.0, 1.0, 4.016565832763936588e-6, 3.8559943458146434893e-5),
    (-2.5, 0.6, 0.0, 1.7, 1.0769218620951881718e-7, 1.0926381652996000719e-6),
    (-2.5, 1.0, 0.3, 0.9539392014169457, 4.133578489762758313e-5, 2.6244628487088143998e-4),
    (-2.5, 0.6, 0.51, 1.6216966424088075, 1.1566448596781745114e-6, 6.7303267724495235429e-6),
    (-2.5, 1.0, 0.7, 0.714142842854285, 3.3590984459320217107e-4, 1.4857069239921542521e-3),
    (-2.5, 0.6, 1.19, 1.2140428328522845, 5.9868211824246336684e-6, 1.5240005445820072638e-5),
    (-2.5, 1.0, 0.9, 0.4358898943540673, 7.8139502366839215701e-4, 3.21823511284783668e-3),
    (-2.5, 0.6, 1.53, 0.7410128204019143, 9.131885220834735465e-6, 1.545429651411983816e-5),
    (-2.5, 1.0, 0.99, 0.14106735979665894, 1.1438012829394173514e-3, 5.2250605843405760106e-3),
    (-2.5, 0.6, 1.683, 0.2398145116543202, 1.0550589672865989371e-5, 1.5454296882296010258e-5),
    (-2.5, 1.0, 0.999, 0.04471017781221601, 1.193321142329420562e-3, 5.8970754984956293395e-3),
    (-2.5, 0.6, 1.6983, 0.07600730228076723, 1.0692460118245466219e-5, 1.5454296882296010258e-5),
    (-1.5, 1.0, -0.999, 0.04471017781221601, 0.0, 0.0),
    (-1.5, 0.6, -1.6983, 0.07600730228076723, 0.0, 0.0),
    (-1.5, 1.0, -0.9, 0.4358898943540673, 9.9745420888707561252e-16, 2.5776099363429548207e-13),
    (-1.5, 0.6, -1.53, 0.7410128204019143, 1.0416669202657482759e-18, 3.2639098521666168575e-16),
    (-1.5, 1.0, -0.5, 0.8660254037844386, 1.1414559042794874318e-5, 1.7230461003431291865e-4),
    (-1.5, 0.6, -0.85, 1.4722431864335457, 1.6054315502727256206e-6, 2.7560693749730905014e-5),
    (-1.5, 1.0, 0.0, 1.0, 8.5888816064384156444e-4, 4.4632021413777107844e-3),
    (-1.5, 0.6, 0.0, 1.7, 2.1202834661485210911e-4, 1.1723412697008996324e-3),
    (-1.5, 1.0, 0.3, 0.9539392014169457, 3.1323639074557437223e-3, 1.1329914323828278964e-2),
    (-1.5, 0.6, 0.51, 1.6216966424088075, 8.3269282897563019416e-4, 3.012448289923700387e-3),
    (-1.5, 1.0, 0.7, 0.714142842854285, 1.0648355350618825405e-2, 2.8166019266851950124e-2),
    (-1.5, 0.6, 1.19, 1.2140428328522845, 2.6576795300063232462e-3, 5.7762804335715045242e-3),
    (-1.5, 1.0, 0.9, 0.4358898943540673, 1.76969368906426145e-2, 4.3948400713108544822e-2),
    (-1.5, 0.6, 1.53, 0.7410128204019143, 3.8967652028139234894e-3, 6.2081756313138358176e-3),
    (-1.5, 1.0, 0.99, 0.14106735979665894, 2.2227623079887105994e-2, 5.9507590041586383262e-2),
    (-1.5, 0.6, 1.683, 0.2398145116543202, 4.4667965847533614564e-3, 6.2096653257761343561e-3),
    (-1.5, 1.0, 0.999, 0.04471017781221601, 2.2781743830484337293e-2, 6.4496687392080173293e-2),
    (-1.5, 0.6, 1.6983, 0.07600730228076723, 4.5238013124439861585e-3, 6.2096653257761343561e-3),
    (-0.5, 1.0, -0.999, 0.04471017781221601, 1.4904595941535078839e-119, 3.7780270197861884657e-114),
    (-0.5, 0.6, -1.6983, 0.07600730228076723, 3.3134734210152089303e-149, 1.0436505371963487954e-143),
    (-0.5, 1.0, -0.9, 0.4358898943540673, 1.5238355295575605875e-5, 8.0288017599268901401e-4),
    (-0.5, 0.6, -1.53, 0.7410128204019143, 5.5756095223989554988e-6, 3.2939440532947570746e-4),
    (-0.5, 1.0, -0.5, 0.8660254037844386, 6.4924828060057043965e-3, 3.629818648857650132e-2),
    (-0.5, 0.6, -0.85, 1.4722431864335457, 4.625091322091015417e-3, 2.7195171569661088238e-2),
    (-0.5, 1.0, 0.0, 1.0, 3.9123478119808151075e-2, 9.5195412803089863775e-2),
    (-0.5, 0.6, 0.0, 1.7, 3.1090378664249952488e-2, 7.7761676632999674077e-2),
    (-0.5, 1.0, 0.3, 0.9539392014169457, 7.342810645257973639e-2, 1.3417923172097086431e-1),
    (-0.5, 0.6, 0.51, 1.6216966424088075, 5.9964266396842456493e-2, 1.1145564093268071585e-1),
    (-0.5, 1.0, 0.7, 0.714142842854285, 1.3909033445754448231e-1, 1.9760171672206735625e-1),
    (-0.5, 0.6, 1.19, 1.2140428328522845, 1.1564029918215220345e-1, 1.632702227977836497e-1),
    (-0.5, 1.0, 0.9, 0.4358898943540673, 1.8298890866918873607e-1, 2.4532588993020874866e-1),
    (-0.5, 0.6, 1.53, 0.7410128204019143, 1.5202852647656492711e-1, 1.9379054064530542986e-1),
    (-0.5, 1.0, 0.99, 0.14106735979665894, 2.0668635541152926362e-1, 2.8866194581054598032e-1),
    (-0.5, 0.6, 1.683, 0.2398145116543202, 1.7031973248044951583e-1, 2.023276039183668899e-1),
    (-0.5, 1.0, 0.999, 0.04471017781221601, 2.0933491016525709199e-1, 3.0225586368507143957e-1),
    (-0.5, 0.6, 1.6983, 0.07600730228076723, 1.7217710625215295704e-1, 2.0232838096364302102e-1),
    (0.5, 1.0, -0.999, 0.04471017781221601, 6.5254559775827848866e-2, 3.8292492254802620728e-1),
    (0.5, 0.6, -1.6983, 0.07600730228076723, 9.1471814296676962779e-2, 4.1333761575595264779e-1),
    (0.5, 1.0, -0.9, 0.4358898943540673, 1.0317936546337801015e-1, 3.8372780272401889629e-1),
    (0.5, 0.6, -1.53, 0.7410128204019143, 1.3321622234523548892e-1, 4.136670101612821235e-1),
    (0.5, 1.0, -0.5, 0.8660254037844386, 2.6282657893329861569e-1, 4.1922310903660271837e-1),
    (0.5, 0.6, -0.85, 1.4722431864335457, 3.064774852862327519e-1, 4.4053278732561373603e-1),
    (0.5, 1.0, 0.0, 1.0, 4.8692003552111418067e-1, 4.7812033535111607105e-1),
    (0.5, 0.6, 0.0, 1.7, 5.4374495666392754302e-1, 4.9109929238895232187e-1),
    (0.5, 1.0, 0.3, 0.9539392014169457, 6.3610214061829362392e-1, 5.1710415426899707159e-1),
    (0.5, 0.6, 0.51, 1.6216966424088075, 6.9910015481784155486e-1, 5.2479325668863336364e-1),
    (0.5, 1.0, 0.7, 0.714142842854285, 8.5493433764246883999e-1, 5.8052663927009356353e-1),
    (0.5, 0.6, 1.19, 1.2140428328522845, 9.2341793483157997128e-1, 5.7660783855373629749e-1),
    (0.5, 1.0, 0.9, 0.4358898943540673, 9.7541789636371836071e-1, 6.2825081247823495593e-1),
    (0.5, 0.6, 1.53, 0.7410128204019143, 1.0441270357402070182, 6.0712815640125807765e-1),
    (0.5, 1.0, 0.99, 0.14106735979665894, 1.033578586135381235, 6.7158686835857218759e-1),
    (0.5, 0.6, 1.683, 0.2398145116543202, 1.1003626348704881191, 6.1566521967431952905e-1),
    (0.5, 1.0, 0.999, 0.04471017781221601, 1.0396734651920413023, 6.8518078623309764684e-1),
    (0.5, 0.6, 1.6983, 0.07600730228076723, 1.1060144479548311753, 6.1566599671959566881e-1),
    (1.5, 1.0, -0.999, 0.04471017781221601, 1.4724011694229923025, 8.6638559746228386799e-1),
    (1.5, 0.6, -1.6983, 0.07600730228076723, 1.696015842378546673, 8.0499734693709957733e-1),
    (1.5, 1.0, -0.9, 0.4358898943540673, 1.5581733435717593828, 8.6638559746254162898e-1),
    (1.5, 0.6, -1.53, 0.7410128204019143, 1.7773044744722550455, 8.0499734693709990372e-1),
    (1.5, 1.0, -0.5, 0.8660254037844386, 1.9047389971157147305, 8.6655790207231819169e-1),
    (1.5, 0.6, -0.85, 1.4722431864335457, 2.105744997454141879, 8.0502490763084930823e-1),
    (1.5, 1.0, 0.0, 1.0, 2.3387792694484577274, 8.7084879960366157878e-1),
    (1.5, 0.6, 0.0, 1.7, 2.5165040673071272499, 8.0616968820680047696e-1),
    (1.5, 1.0, 0.3, 0.9539392014169457, 2.6009684244339547803, 8.7771551178611214696e-1),
    (1.5, 0.6, 0.51, 1.6216966424088075, 2.763453919952240494, 8.0800979522702327771e-1),
    (1.5, 1.0, 0.7, 0.714142842854285, 2.9550386548620313803, 8.9455161672913581811e-1),
    (1.5, 0.6, 1.19, 1.2140428328522845, 3.0937178242036077935, 8.1077362737067108185e-1),
    (1.5, 1.0, 0.9, 0.4358898943540673, 3.1353643558945120008, 9.1033399817539241281e-1),
    (1.5, 0.6, 1.53, 0.7410128204019143, 3.2591763686515836747, 8.1120552256841341315e-1),
    (1.5, 1.0, 0.99, 0.14106735979665894, 3.2178697458553620134, 9.2589318750387025125e-1),
    (1.5, 0.6, 1.683, 0.2398145116543202, 3.3336451564823489718, 8.1120701226287569336e-1),
    (1.5, 1.0, 0.999, 0.04471017781221601, 3.2262213369831198065, 9.3088228485436404128e-1),
    (1.5, 0.6, 1.6983, 0.07600730228076723, 3.3410920368549221088, 8.1120701226287571168e-1),
    (3.0, 1.0, -0.999, 0.04471017781221601, 8.0059900221694832713, 9.9730020393673981095e-1),
    (3.0, 0.6, -1.6983, 0.07600730228076723, 8.1000926296659958309, 9.611931086195769178e-1),
    (3.0, 1.0, -0.9, 0.4358898943540673, 8.1047227423592204896, 9.9730020393673981095e-1),
    (3.0, 0.6, -1.53, 0.7410128204019143, 8.197153909774400775, 9.611931086195769178e-1),
    (3.0, 1.0, -0.5, 0.8660254037844386, 8.5036428239355848066, 9.973002040082148335e-1),
    (3.0, 0.6, -0.85, 1.4722431864335457, 8.5893206980911896077, 9.6119310861965443543e-1),
    (3.0, 1.0, 0.0, 1.0, 9.0022930719442083798, 9.9730202616143560975e-1),
    (3.0, 0.6, 0.0, 1.7, 9.079529184337523646, 9.6119311974355116262e-1),
    (3.0, 1.0, 0.3, 0.9539392014169457, 9.3014859308890011159, 9.9732405545248496675e-1),
    (3.0, 0.6, 0.51, 1.6216966424088075, 9.3736542915579766641, 9.6119322715168511308e-1),
    (3.0, 1.0, 0.7, 0.714142842854285, 9.7004446332449936995, 9.9753017761029864884e-1),
    (3.0, 0.6, 1.19, 1.2140428328522845, 9.7658211715188729904, 9.6119339385619597753e-1),
    (3.0, 1.0, 0.9, 0.4358898943540673, 9.8999822022875168268, 9.9791060832204358963e-1),
    (3.0, 0.6, 1.53, 0.7410128204019143, 9.9619046241151072322, 9.6119339527114878299e-1),
    (3.0, 1.0, 0.99, 0.14106735979665894, 9.9898117241806435437, 9.9840172393536043346e-1),
    (3.0, 0.6, 1.683, 0.2398145116543202, 1.0050142177800998813e+1, 9.6119339527114878559e-1),
    (3.0, 1.0, 0.999, 0.04471017781221601, 9.9987979675095812341, 9.9857108499035033751e-1),
    (3.0, 0.6, 1.6983, 0.07600730228076723, 1.0058965933169587905e+1, 9.6119339527114879699e-1),
];

/// (bias B, norm s, E[relu(u)²], P(u > 0)) for u = B + sZ: s²((1 + t²)Φ(t) + tφ(t)) and Φ(t),
/// t = B/s, with q = s² exact, at 60 digits (`reference_diagonal` at the end of this file).
#[rustfmt::skip]
const DIAGONAL: [(f64, f64, f64, f64); 21] = [
    (-3.0, 0.6, 6.9635862675191313936e-9, 2.8665157187919363658e-7),
    (-3.0, 1.0, 2.0343508048692373971e-4, 1.3498980316300945267e-3),
    (-3.0, 1.7, 3.2622000410187264282e-2, 3.8806604728851207341e-2),
    (-2.5, 0.6, 5.0838755875004101587e-7, 1.5454296882296005033e-5),
    (-2.5, 1.0, 1.1993223779556365552e-3, 6.209665325776135167e-3),
    (-2.5, 1.7, 7.1180243282980095924e-2, 7.0701253743306460791e-2),
    (-1.5, 0.6, 4.3175605606402899441e-4, 6.2096653257761335453e-3),
    (-1.5, 1.0, 2.2847010624951123093e-2, 6.6807201268858066004e-2),
    (-1.5, 1.7, 2.8112341906099214611e-1, 1.8879298773712429528e-1),
    (-0.5, 0.6, 3.8846749764731474292e-2, 2.0232838096364301667e-1),
    (-0.5, 1.0, 2.0963926002533388157e-1, 3.0853753872598689636e-1),
    (-0.5, 1.7, 8.8206215886287087646e-1, 3.8433400328040433447e-1),
    (0.5, 0.6, 5.7115325023526849906e-1, 7.9767161903635698333e-1),
    (0.5, 1.0, 1.0403607399746661184, 6.9146246127401310364e-1),
    (0.5, 1.7, 2.2579378411371289726, 6.1566599671959566553e-1),
    (1.5, 0.6, 2.6095682439439359444, 9.9379033467422386645e-1),
    (1.5, 1.0, 3.2271529893750488769, 9.33192798731141934e-1),
    (1.5, 1.7, 4.8588765809390077029, 8.1120701226287570472e-1),
    (3.0, 0.6, 9.3599999930364137058, 9.9999971334842812081e-1),
    (3.0, 1.0, 9.9997965649195130763, 9.9865010196836990547e-1),
    (3.0, 1.7, 1.1857377999589812585e+1, 9.6119339527114879266e-1),
];

#[test]
fn relu_bias_kernel_matches_high_precision_references() {
    // Worst relative errors (E[σσ′], P) over the references ≥ 1e-100, and over the others.
    let (mut worst, mut worst_tail) = ((0.0f64, 0.0f64), (0.0f64, 0.0f64));
    for &(bias, s, p, q, product, orthant) in &OFF_DIAGONAL {
        let inputs = [s, 0.0, p, q];
        let got_product = limit(&inputs, 2, bias, ONLY_A)[1];
        let got_orthant = limit(&inputs, 2, bias, ONLY_B)[1];
        let errors = (
            relative_deviation(got_product, product),
            relative_deviation(got_orthant, orthant),
        );
        assert!(
            errors.0 <= bar(product) && errors.1 <= bar(orthant),
            "B = {bias}, x = ({s}, 0), x′ = ({p}, {q}): E[σσ′] {got_product:e} vs {product:e} \
             ({:.1e}), P {got_orthant:e} vs {orthant:e} ({:.1e})",
            errors.0,
            errors.1
        );
        let class = if product >= 1e-100 {
            &mut worst
        } else {
            &mut worst_tail
        };
        *class = (class.0.max(errors.0), class.1.max(errors.1));
    }
    println!(
        "off-diagonal, {} pairs: worst relative error E[σσ′] {:.1e}, P(u > 0, u′ > 0) {:.1e} \
         (values ≥ 1e-100); {:.1e}, {:.1e} (below)",
        OFF_DIAGONAL.len(),
        worst.0,
        worst.1,
        worst_tail.0,
        worst_tail.1
    );
    let mut worst = (0.0f64, 0.0f64);
    for &(bias, s, second_moment, probability) in &DIAGONAL {
        let inputs = [s, 0.0];
        let errors = (
            relative_deviation(limit(&inputs, 2, bias, ONLY_A)[0], second_moment),
            relative_deviation(limit(&inputs, 2, bias, ONLY_B)[0], probability),
        );
        assert!(
            errors.0 <= bar(second_moment) && errors.1 <= bar(probability),
            "B = {bias}, ‖x‖ = {s}: relative errors {errors:?}"
        );
        worst = (worst.0.max(errors.0), worst.1.max(errors.1));
    }
    println!(
        "diagonal, {} points: worst relative error E[σ²] {:.1e}, P(u > 0) {:.1e}",
        DIAGONAL.len(),
        worst.0,
        worst.1
    );
}

/// Draws of width 2^19: 64 of them make 2^25 ≈ 34M neurons per kernel entry, about 45 000
/// active ones per input at B = −3, where the active share is 1 − Φ(3) = 0.13%.
const MONTE_CARLO_WIDTH: usize = 1 << 19;
/// Independent draws averaged.
const DRAWS: u64 = 64;
/// Entries more than this many standard errors from K∞ fail.
const Z_BAR: f64 = 6.0;
/// Entries whose pair of inputs is expected to share fewer active neurons than this over all
/// draws are left out: their averages are too far from Gaussian for a z-score.
const MIN_SHARED: f64 = 400.0;

/// For each bias, the closed-form NTK of very wide ReLU networks (±1 output weights, so that
/// the bias part is exactly Σ 1{u > 0}1{u′ > 0}/m), averaged over independent draws, against
/// K∞: the output-weight part against E[relu(u)relu(u′)], the bias part against
/// P(u > 0, u′ > 0). Every entry whose inputs share ≥ 400 active neurons in expectation (all
/// the diagonal) lies within 6 standard errors (estimated from the spread of the draws), and
/// the test has power: K∞ 10% too large would fail at every bias.
#[test]
fn wide_networks_average_to_the_biased_relu_kernel() {
    let data = sphere_problem(8, 6, 11, RandomLabels::Gaussian);
    let device = f64_device();
    let n = data.num_samples;
    for bias in [-3.0, -2.0, -1.0, 0.5, 2.0] {
        let mut config = two_layer_config(
            6,
            MONTE_CARLO_WIDTH,
            Activation::Relu,
            Parameterization::Ntk,
            bias,
            Trainable::ALL,
        );
        config.output_init = OutputInit::Sign;
        // Per draw: the `a` part and the `b1` part, each [n, n], as the kernel weighted by a
        // rate of 1 on that tensor and 0 on the others.
        let only = [
            LearningRates::by_kind(0.0, 0.0, 1.0),
            LearningRates::by_kind(0.0, 1.0, 0.0),
        ];
        let mut draws: [Vec<Vec<f64>>; 2] = Default::default();
        let options = NtkOptions {
            method: NtkMethod::ClosedForm,
            on_host: false,
        };
        for seed in 0..DRAWS {
            let model: Mlp = config.init(&mut stream_rng(seed, RngStream::Init), &device);
            let kernel = ntk(&model, &data.inputs, &options).expect("every tensor is trained");
            for (k, rates) in only.iter().enumerate() {
                draws[k].push(kernel.kernel(Some(rates)));
            }
        }
        let total_width = (MONTE_CARLO_WIDTH as u64 * DRAWS) as f64;
        let shared = limit(&data.inputs, 6, bias, ONLY_B);
        let checked: Vec<usize> = (0..n * n)
            .filter(|&e| shared[e] * total_width >= MIN_SHARED)
            .collect();
        for (k, (trainable, moment)) in [(ONLY_A, "E[σσ′]"), (ONLY_B, "P(u > 0, u′ > 0)")]
            .into_iter()
            .enumerate()
        {
            let limit = limit(&data.inputs, 6, bias, trainable);
            let (z, z_inflated) = worst_z_scores(&draws[k], &limit, &checked);
            println!(
                "B = {bias}, {moment}: {} of {} entries checked, worst |z| = {z:.2}; \
                 against 1.1·K∞: {z_inflated:.1}",
                checked.len(),
                n * n
            );
            assert!(
                z <= Z_BAR,
                "B = {bias}, {moment}: an entry is {z:.1} standard errors off"
            );
            assert!(
                z_inflated > Z_BAR,
                "B = {bias}, {moment}: too few draws to tell K∞ from 1.1·K∞ ({z_inflated:.1})"
            );
        }
    }
}

/// The largest |mean − K∞|/SE over the entries `checked`, and the same against 1.1·K∞, for
/// the draws `draws` (each `[n·n]`).
fn worst_z_scores(draws: &[Vec<f64>], limit: &[f64], checked: &[usize]) -> (f64, f64) {
    let count = draws.len() as f64;
    let (mut worst, mut inflated) = (0.0f64, 0.0f64);
    for &e in checked {
        let mean = draws.iter().map(|d| d[e]).sum::<f64>() / count;
        let variance = draws.iter().map(|d| (d[e] - mean).powi(2)).sum::<f64>() / (count - 1.0);
        let error = (variance / count).sqrt();
        worst = worst.max((mean - limit[e]).abs() / error);
        inflated = inflated.max((mean - 1.1 * limit[e]).abs() / error);
    }
    (worst, inflated)
}

// The references, with mpmath 1.3 (python3 script; prints the table rows):
//
// from mpmath import mp, mpf, sqrt, quad, ncdf, npdf, asin, cos, sin, exp, pi
// import math
// psi = lambda t: t * ncdf(t) + npdf(t)
// def conditioned(B, q1, q2, c):        # method 1: condition on xi = w.x / |x|
//     s1, s2 = sqrt(q1), sqrt(q2); rho = c / (s1 * s2); tau = s2 * sqrt(1 - rho * rho)
//     x0 = -B / s1; pts = [x0] + [x0 + mpf(10) ** e for e in range(-8, 1)] + [x0 + h for h in (2, 4, 8, 16, 45)]
//     if rho != 0 and -B / (s2 * rho) > x0:
//         k = -B / (s2 * rho); pts += [k] + [k + t * mpf(10) ** e for t in (-1, 1) for e in range(-8, 1)]
//     pts = sorted(set(p for p in pts if p >= x0))
//     return (quad(lambda x: (B + s1 * x) * tau * psi((B + s2 * rho * x) / tau) * npdf(x), pts),
//             quad(lambda x: ncdf((B + s2 * rho * x) / tau) * npdf(x), pts))
// def phi2(h, k, rho):                  # P(X < h, Y < k), Sheppard
//     g = lambda th: exp(-(h * h + k * k - 2 * h * k * sin(th)) / (2 * cos(th) ** 2))
//     return ncdf(h) * ncdf(k) + quad(g, [0, asin(rho)]) / (2 * pi)
// def closed(B, q1, q2, c):             # method 2: truncated moments of the bivariate normal
//     s1, s2 = sqrt(q1), sqrt(q2); rho = c / (s1 * s2); r = sqrt(1 - rho * rho)
//     a, b = -B / s1, -B / s2; L = phi2(-a, -b, rho)
//     EX = npdf(a) * ncdf((rho * a - b) / r) + rho * npdf(b) * ncdf((rho * b - a) / r)
//     EY = npdf(b) * ncdf((rho * b - a) / r) + rho * npdf(a) * ncdf((rho * a - b) / r)
//     EXY = (rho * L + rho * a * npdf(a) * ncdf((rho * a - b) / r) + rho * b * npdf(b) * ncdf((rho * b - a) / r)
//            + r * npdf(b) * npdf((a - rho * b) / r))
//     return s1 * s2 * (EXY - b * EX - a * EY + a * b * L), L
// def reference_table():
//     for B in [-3.0, -2.5, -1.5, -0.5, 0.5, 1.5, 3.0]:
//         for rho in [-0.999, -0.9, -0.5, 0.0, 0.3, 0.7, 0.9, 0.99, 0.999]:
//             for s, t in [(1.0, 1.0), (0.6, 1.7)]:
//                 p, q = t * rho, t * math.sqrt(1.0 - rho * rho)
//                 q1, q2, c = mpf(s * s), mpf(p * p + q * q), mpf(s * p)   # the f64 Gram entries
//                 for dps in (60, 120, 240):
//                     mp.dps = dps; one = conditioned(mpf(B), q1, q2, c)
//                     if max(one) < mpf('1e-280'): break
//                     mp.dps = 2 * dps; two = closed(mpf(B), q1, q2, c)
//                     if all(abs(x - y) <= mpf('1e-30') * y for x, y in zip(one, two)): one = two; break
//                 else: raise AssertionError((B, s, p, q))
//                 print(B, s, p, q, *(mp.nstr(v, 20) for v in one))   # values < 1e-300 written as 0.0
// def reference_diagonal():
//     mp.dps = 60
//     for B in [-3.0, -2.5, -1.5, -0.5, 0.5, 1.5, 3.0]:
//         for s in [0.6, 1.0, 1.7]:
//             t = mpf(B) / mpf(s)
//             print(B, s, mp.nstr(mpf(s) ** 2 * ((1 + t * t) * ncdf(t) + t * npdf(t)), 20), mp.nstr(ncdf(t), 20))
