//! Seeds on shared data trained as one stacked computation
//! ([`overparam_trainer::train_ensemble`]): each member is set up exactly as
//! [`TrainSetup::run`] sets up one run, and gets the same [`TrainRun`] back (to rounding).

use std::cell::RefCell;

use overparam_model::Mlp;
use overparam_trainer::{train_ensemble, Checkpointing, EnsembleMember, LoopState, TrainerError};

use super::{Sink, TrainFrom, TrainObserver, TrainRun, TrainSetup};

/// One seed of a stacked ensemble: its setup (the dataset equal to every other member's),
/// where it starts, and who sees its rows and checkpoints.
pub struct StackedMember<'a> {
    /// The run (its engine chosen: the fused one).
    pub setup: TrainSetup<'a>,
    /// Where it starts.
    pub from: TrainFrom,
    /// Receives its rows and checkpoints.
    pub observer: &'a mut dyn TrainObserver,
}

type Save<'a> = Box<dyn FnMut(&Mlp, &LoopState) -> std::io::Result<()> + 'a>;
type Interrupted<'a> = Box<dyn FnMut() -> bool + 'a>;

/// Trains every member together on the first member's data (which every member must share)
/// and schedule; one [`TrainRun`] per member, in order. The error, before any step, says why
/// the members cannot be stacked (see [`overparam_trainer::stackable`]) or that a held-out
/// linearization could not be set up.
pub fn train_stacked(members: Vec<StackedMember<'_>>) -> Result<Vec<TrainRun>, TrainerError> {
    let Some(first) = members.first() else {
        return Ok(Vec::new());
    };
    let (dataset, device) = (first.setup.dataset, first.setup.device);
    let spec = first.setup.experiment.resolved.train.clone();
    let inputs = dataset.inputs_tensor(device);
    let targets = dataset.targets_tensor(device);
    let mut setups = Vec::new();
    let mut starts = Vec::new();
    let mut sinks = Vec::new();
    for StackedMember {
        setup,
        from,
        observer,
    } in members
    {
        let (prepared, loss_curve) = setup.prepare(from);
        starts.push((prepared.start?, prepared.initial, prepared.resumed_from));
        sinks.push(RefCell::new(Sink::new(observer, loss_curve)));
        setups.push(setup);
    }
    let mut saves: Vec<Save<'_>> = sinks
        .iter()
        .map(|sink| -> Save<'_> {
            Box::new(move |model, state| sink.borrow_mut().checkpoint(model, state))
        })
        .collect();
    let mut interrupts: Vec<Interrupted<'_>> = sinks
        .iter()
        .map(|sink| -> Interrupted<'_> { Box::new(move || sink.borrow_mut().interrupted()) })
        .collect();
    let mut finishing = Vec::new();
    let mut ensemble = Vec::new();
    let handles = saves.iter_mut().zip(interrupts.iter_mut());
    for (((start, initial, resumed_from), sink), (save, interrupted)) in
        starts.into_iter().zip(&sinks).zip(handles)
    {
        finishing.push((initial, resumed_from));
        ensemble.push(EnsembleMember {
            start,
            record: Box::new(move |record| sink.borrow_mut().row(record)),
            checkpointing: Checkpointing {
                every: spec_checkpoint_every(&setups, finishing.len() - 1),
                save: save.as_mut(),
                interrupted: interrupted.as_mut(),
            },
        });
    }
    let results = train_ensemble(ensemble, inputs, targets, &spec)?;
    drop((saves, interrupts));
    Ok(results
        .into_iter()
        .zip(sinks)
        .zip(setups.iter().zip(finishing))
        .map(|((result, sink), (setup, (initial, resumed_from)))| {
            setup.finish(initial, resumed_from, sink.into_inner(), result)
        })
        .collect())
}

/// `train.checkpoint_every` of member `index`.
fn spec_checkpoint_every(setups: &[TrainSetup<'_>], index: usize) -> usize {
    setups[index].experiment.config.train.checkpoint_every
}
