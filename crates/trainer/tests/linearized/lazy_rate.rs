//! The lazy-regime rate: the distance from the linearized network at the end of training,
//! fitted against the width.

use super::*;

/// Least-squares slope of y against x.
fn slope(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    sxy / sxx
}

/// The lazy regime: on a fixed task (n = 16 points on S^7, a 4-neuron ReLU teacher), two-layer
/// ReLU networks in the `ntk` parameterization of widths 128 … 4096 trained by 200 full-batch
/// GD steps at rate 0.5 end at ‖f_T(X) − f_lin,T(X)‖/‖f_0(X) − y‖ decaying as a power of m,
/// fitted by least squares in log–log (geometric mean over 16 initializations per width).
///
/// The bound of Lee et al. (2019) is O(1/√m) and the slope must be within 0.25 of −0.5. The
/// measured exponent is steeper, ≈ −0.58 here: for a two-layer network with symmetric output
/// weights the second-order terms of f − f_lin are odd in a_r and largely cancel (a smooth σ
/// gives ≈ m⁻¹, as the NTK itself moves at O(1/m): Dyer & Gur-Ari 2019, Huang & Yau 2019;
/// ReLU's flipped units add an m^(−3/4)-like term). With 16 seeds per width the slope's spread
/// over disjoint seed sets is ±0.02 at these settings (measured: −0.55 … −0.61 over six sets of
/// 16), against ±0.06 when measured after 300 steps at rate 1, where the distance is read deep
/// in the convergent tail and the per-seed λ_min dominates; so this reading stays ≥ 0.1 inside
/// the window. A linearization that does not follow the network (a wrong kernel, rate or
/// step count) leaves a distance that does not shrink with m (slope ≈ 0).
#[test]
fn distance_from_the_linearized_network_shrinks_like_one_over_root_width() {
    let started = Instant::now();
    let (n, d) = (16, 8);
    let data = Dataset::from_spec(&DataSpec {
        num_samples: n,
        input_dim: d,
        inputs: InputSource::Generated(InputLaw::Sphere),
        labels: LabelSource::Teacher {
            width: 4,
            orthonormal: false,
            seed: 2,
            activation: Activation::Relu,
        },
        seed: 7,
        test: None,
    })
    .unwrap();
    let steps = 200;
    let rates = LearningRates::by_kind(0.5, 0.5, 0.5);
    let widths = [128usize, 256, 512, 1024, 2048, 4096];
    let seeds = 16;
    let mut log_widths = Vec::new();
    let mut log_distances = Vec::new();
    for &m in &widths {
        let config = relu_ntk_config(d, &[m], 0.0);
        let mut mean_log = 0.0;
        for seed in 0..seeds {
            let arrays = config.init_parameters(&mut stream_rng(seed, RngStream::Init));
            let spec = gd_spec(steps, steps, rates.clone(), StepEngine::Fused);
            let (rows, _) = run_with_generalization(&config, &arrays, &data, &spec);
            let (first, last) = (&rows[0], rows.last().unwrap());
            assert_eq!(last.step, steps);
            // Training happened: the loss fell by well over 10×.
            assert!(
                last.loss < 0.1 * first.loss,
                "m = {m} seed {seed}: {} → {}",
                first.loss,
                last.loss
            );
            let distance = last.generalization.linearized.unwrap().distance;
            // Far above rounding (~1e-15 at step 0), so the fit measures the network.
            assert!(distance > 1e-7, "m = {m} seed {seed}: distance {distance}");
            mean_log += distance.ln() / seeds as f64;
        }
        eprintln!(
            "m = {m}: lin_distance geometric mean {:.3e}",
            mean_log.exp()
        );
        log_widths.push((m as f64).ln());
        log_distances.push(mean_log);
    }
    let fitted = slope(&log_widths, &log_distances);
    eprintln!(
        "fitted slope {fitted:.3} ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    assert!(
        (fitted + 0.5).abs() <= 0.25,
        "log lin_distance vs log m: slope {fitted}, expected −0.5 ± 0.25"
    );
}
