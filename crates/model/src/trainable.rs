//! Which kinds of parameter tensor gradient descent may change (`model.train_w`, `train_b`,
//! `train_a`).

/// Which of the three kinds of parameter tensor gradient descent may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trainable {
    /// Train the hidden weights W_l (`model.train_w`).
    pub w: bool,
    /// Train the hidden biases b_l (`model.train_b`).
    pub b: bool,
    /// Train the output weights a (`model.train_a`).
    pub a: bool,
}

impl Trainable {
    /// All three kinds trainable.
    pub const ALL: Trainable = Trainable {
        w: true,
        b: true,
        a: true,
    };
}
