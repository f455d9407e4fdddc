//! Training through the API: rows as they come, the returned values, checkpoints when due,
//! and errors before the first step.

mod common;

use common::{tiny, FLEX_F64};
use overparam_api::train::engine_for;
use overparam_api::{
    train, BackendKind, EngineChoice, MetricRecord, Mlp, TrainObserver, TrainOptions,
};
use overparam_trainer::LoopState;
use overparam_trainer::StepEngine;

/// Keeps what the loop hands out.
#[derive(Default)]
struct Seen {
    rows: Vec<MetricRecord>,
    checkpoints: Vec<usize>,
}

impl TrainObserver for Seen {
    fn row(&mut self, record: &MetricRecord) -> std::io::Result<()> {
        self.rows.push(record.clone());
        Ok(())
    }

    fn checkpoint(&mut self, _model: &Mlp, state: &LoopState) -> std::io::Result<()> {
        self.checkpoints.push(state.step);
        Ok(())
    }
}

fn options(engine: EngineChoice) -> TrainOptions {
    TrainOptions {
        compute: FLEX_F64,
        engine,
        init: None,
        dataset: None,
    }
}

#[test]
fn a_run_returns_its_rows_and_parameters() {
    let experiment = tiny(&["train.checkpoint_every=10"]);
    let mut seen = Seen::default();
    let run = train(&experiment, &options(EngineChoice::Auto), &mut seen).unwrap();
    let outcome = run.result.as_ref().unwrap();
    assert_eq!(outcome.steps_run, 30);
    assert_eq!(run.engine.name(), "fused");
    let steps: Vec<usize> = run.rows.iter().map(|r| r.step).collect();
    assert_eq!(steps, [0, 10, 20, 30]);
    assert_eq!(seen.rows, run.rows);
    assert_eq!(seen.checkpoints, [10, 20]);
    assert!(run.rows[3].loss < run.rows[0].loss);
    assert_eq!(run.loss_curve.len(), 4);
    assert_eq!(
        run.initial_parameters,
        experiment.initial_parameters(None).unwrap()
    );
    let last = run.final_parameters.as_ref().unwrap();
    assert_eq!(last.len(), run.initial_parameters.len());
    assert_ne!(last[0].values, run.initial_parameters[0].values);
    let summary = run.summary();
    assert_eq!(summary["status"], "ok");
    assert_eq!(summary["steps_run"], 30);
    assert_eq!(summary["final_loss"], outcome.final_loss);
    assert_eq!(summary["learning_rates"]["w1"], 1.0);
    assert!(summary["resumed_from_step"].is_null());
}

#[test]
fn both_engines_agree_to_rounding() {
    let experiment = tiny(&[]);
    let fused = train(&experiment, &options(EngineChoice::Fused), &mut ()).unwrap();
    let autodiff = train(&experiment, &options(EngineChoice::Autodiff), &mut ()).unwrap();
    assert_eq!(autodiff.engine.name(), "autodiff");
    let (a, b) = (
        fused.last_finite().unwrap(),
        autodiff.last_finite().unwrap(),
    );
    assert_eq!(a.step, b.step);
    assert!(
        (a.loss - b.loss).abs() <= 1e-10 * b.loss.abs(),
        "{a:?} {b:?}"
    );
}

#[test]
fn a_frozen_network_is_refused_before_training() {
    let experiment = tiny(&[
        "model.train_w=false",
        "model.train_b=false",
        "model.train_a=false",
    ]);
    let error = train(&experiment, &options(EngineChoice::Auto), &mut ()).unwrap_err();
    assert!(error.to_string().starts_with("nothing to train"), "{error}");
}

#[test]
fn fused_sgd_trains_and_fused_is_refused_on_a_gpu_backend() {
    let experiment = tiny(&["train.optimizer=\"sgd\"", "train.batch_size=4"]);
    let run = train(&experiment, &options(EngineChoice::Fused), &mut ()).unwrap();
    assert_eq!(run.engine, StepEngine::Fused);
    let auto = train(&experiment, &options(EngineChoice::Auto), &mut ()).unwrap();
    assert_eq!(
        auto.engine,
        StepEngine::Fused,
        "auto picks fused for SGD on flex"
    );
    let error = engine_for(EngineChoice::Fused, BackendKind::Wgpu).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("--engine fused needs a CPU backend"),
        "{error}"
    );
    let fallback = engine_for(EngineChoice::Auto, BackendKind::Wgpu).unwrap();
    assert_eq!(fallback, StepEngine::Autodiff);
}

#[test]
fn a_failing_observer_stops_the_run() {
    struct Full;
    impl TrainObserver for Full {
        fn row(&mut self, record: &MetricRecord) -> std::io::Result<()> {
            if record.step >= 10 {
                return Err(std::io::Error::other("disk full"));
            }
            Ok(())
        }
    }
    let run = train(&tiny(&[]), &options(EngineChoice::Auto), &mut Full).unwrap();
    assert!(run.result.is_err());
    assert!(run.final_parameters.is_none());
    let summary = run.summary();
    assert_eq!(summary["status"], "failed");
    assert!(
        summary["error"].as_str().unwrap().contains("disk full"),
        "{summary}"
    );
    assert_eq!(summary["steps_run"], 10);
}
