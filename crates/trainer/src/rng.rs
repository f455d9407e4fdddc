//! Seeded random streams: one independent ChaCha8 stream per purpose, so that changing (say)
//! the batch order never changes the data or the initial weights drawn from the same seed.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a random stream is used for; each purpose has its own stream of the same seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RngStream {
    /// The inputs x_i.
    Inputs = 1,
    /// Random labels.
    Labels = 2,
    /// The teacher (or planted directions); seeded by `teacher_seed`, not `seed`.
    Teacher = 3,
    /// The network's initial parameters.
    Init = 4,
    /// Mini-batch order for SGD.
    Batches = 5,
    /// The held-out inputs (so that adding held-out points never changes the training ones).
    TestInputs = 6,
    /// Random labels of the held-out points.
    TestLabels = 7,
}

/// The ChaCha8 generator for `seed` and `stream`; the same pair always gives the same numbers.
pub fn stream_rng(seed: u64, stream: RngStream) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream as u64);
    rng
}
