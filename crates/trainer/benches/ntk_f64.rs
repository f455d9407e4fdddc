//! NTK benchmarks in f64 (see `common/mod.rs`). Run: `cargo bench -p overparam-trainer --bench ntk_f64`.

mod common;

use burn::tensor::FloatDType;
use criterion::{criterion_group, criterion_main, Criterion};

fn benches(c: &mut Criterion) {
    common::bench_ntk(c, FloatDType::F64, "f64");
}

criterion_group!(ntk, benches);
criterion_main!(ntk);
