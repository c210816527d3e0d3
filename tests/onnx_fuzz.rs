//! Stable fallback of the ONNX fuzz target: the tiny test model's bytes,
//! mutated (bit flips, byte overwrites, truncation, splices of its own
//! pieces), are loaded and run through `orbitedge::compute::model::load_and_run`
//! (the entry point the cargo-fuzz harness uses). Every outcome must be an
//! ordinary error or a result — never a panic, and never `Error::Internal`,
//! which is how a panic caught inside tract comes back (a case the checks
//! before tract missed). Deterministic (a fixed seed) and bounded: a few
//! hundred mutants, a few seconds.

#![cfg(feature = "onnx")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use orbitedge::compute::model::{load_and_run, OnnxModel};
use orbitedge::Error;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const TINY: &[u8] = include_bytes!("data/tiny_cloudnet.onnx");

/// One edit of a file's bytes; positions are taken modulo the current length.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit {
        at: usize,
        bit: u8,
    },
    Overwrite {
        at: usize,
        byte: u8,
    },
    Truncate {
        at: usize,
    },
    /// Copies `len` bytes from `from` over the bytes at `to` (a splice of the
    /// file with itself: plausible field headers in the wrong place).
    Splice {
        from: usize,
        to: usize,
        len: usize,
    },
    /// Inserts `len` copies of `byte` at `at` (lengths no longer match).
    Insert {
        at: usize,
        byte: u8,
        len: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Overwrite { at, byte }),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        2 => (any::<usize>(), any::<usize>(), 1usize..64)
            .prop_map(|(from, to, len)| Mutation::Splice { from, to, len }),
        1 => (any::<usize>(), any::<u8>(), 1usize..16)
            .prop_map(|(at, byte, len)| Mutation::Insert { at, byte, len }),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    let n = bytes.len();
    match *mutation {
        Mutation::FlipBit { at, bit } => bytes[at % n] ^= 1 << bit,
        Mutation::Overwrite { at, byte } => bytes[at % n] = byte,
        Mutation::Truncate { at } => bytes.truncate(at % n),
        Mutation::Splice { from, to, len } => {
            let (from, to) = (from % n, to % n);
            let len = len.min(n - from).min(n - to);
            let piece = bytes[from..from + len].to_vec();
            bytes[to..to + len].copy_from_slice(&piece);
        }
        Mutation::Insert { at, byte, len } => {
            let at = at % n;
            bytes.splice(at..at, std::iter::repeat_n(byte, len));
        }
    }
}

/// Loads and runs `bytes` both ways a user can (shape from the file, shape
/// given), failing on a panic or an internal error.
fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let outcomes = [
        load_and_run(bytes).map(|_| ()),
        OnnxModel::from_bytes(bytes, Some(&[2, 4, 32, 32])).and_then(|m| {
            m.run_batch(&vec![0.5; 4 * 4 * 32 * 32], &[4, 4, 32, 32])
                .map(|_| ())
        }),
    ];
    for outcome in outcomes {
        if let Err(e @ Error::Internal { .. }) = outcome {
            return Err(TestCaseError::fail(format!("tract panicked: {e}")));
        }
    }
    Ok(())
}

#[test]
fn the_unmutated_model_loads_and_runs() {
    assert!(load_and_run(TINY).is_ok());
}

/// Mutants per run: 300 by default (a few seconds); set
/// `ORBITEDGE_ONNX_FUZZ_CASES` (and `ORBITEDGE_ONNX_FUZZ_SEED`) for a longer campaign.
fn cases_and_seed() -> (u32, u8) {
    let cases = std::env::var("ORBITEDGE_ONNX_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok());
    let seed = std::env::var("ORBITEDGE_ONNX_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok());
    (cases.unwrap_or(300), seed.unwrap_or(12))
}

#[test]
fn mutated_models_never_panic() {
    let (cases, seed) = cases_and_seed();
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let mutants = proptest::collection::vec(mutation(), 1..5);
    runner
        .run(&mutants, |edits| {
            let mut bytes = TINY.to_vec();
            for edit in &edits {
                apply(&mut bytes, edit);
            }
            check(&bytes)
        })
        .unwrap();
}
