//! The fuzz targets in short form, in every `cargo test`: each target's check
//! (`hotline::fuzz_checks`) runs on its whole committed corpus (`fuzz/corpus/<target>/`),
//! then on a few thousand seeded mutations of it. The long run is cargo-fuzz's
//! (`fuzz/smoke`, README "Fuzzing"); this one needs no nightly flags, sanitizer or build
//! of its own.
//!
//! A failure prints the target, seed, round and input in hex, ready to be added to the
//! corpus. `HOTLINE_FUZZ_SEED` picks another seed and `HOTLINE_FUZZ_ROUNDS` another
//! number of mutations per target, for a longer run by hand:
//!
//! ```sh
//! HOTLINE_FUZZ_SEED=7 HOTLINE_FUZZ_ROUNDS=100000 cargo test --release --test fuzz_smoke
//! ```

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use hotline::fuzz_checks::{Check, TARGETS};

const DEFAULT_SEED: u64 = 12345;

/// Mutations per target: what a debug build runs in about a second on a slow machine
/// (the file targets parse and compile a whole rule file per input).
fn rounds(target: &str) -> usize {
    if let Some(rounds) = env_number("HOTLINE_FUZZ_ROUNDS") {
        return rounds as usize;
    }
    match target {
        "classify" => 5000,
        "create_request" => 8000,
        "rules_file" => 150,
        _ => 600,
    }
}

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a number")),
    )
}

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

/// A target's committed corpus, in file-name order so runs are reproducible.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
    let mut entries: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("corpus entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes =
                std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            (name, bytes)
        })
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "{} is empty", dir.display());
    entries
}

/// An input that made a check panic, with what is needed to replay it.
#[derive(Debug)]
struct Failure {
    target: String,
    origin: String,
    input: Vec<u8>,
    message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hex: String = self.input.iter().map(|b| format!("{b:02x}")).collect();
        write!(
            f,
            "fuzz target `{}` failed on {} ({} bytes): {}\ninput (hex): {hex}\n\
             add it to the corpus: echo {hex} | xxd -r -p > fuzz/corpus/{}/<name>",
            self.target,
            self.origin,
            self.input.len(),
            self.message,
            self.target
        )
    }
}

/// Runs `check` on `input`, turning a panic into a [`Failure`].
fn run(
    target: &str,
    check: Check,
    input: &[u8],
    origin: impl FnOnce() -> String,
) -> Result<(), Failure> {
    catch_unwind(AssertUnwindSafe(|| check(input))).map_err(|panic| Failure {
        target: target.to_string(),
        origin: origin(),
        input: input.to_vec(),
        message: panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic without a message".into()),
    })
}

/// The corpus, then `rounds` mutations of it drawn from `seed`.
fn smoke(
    target: &str,
    check: Check,
    corpus: &[(String, Vec<u8>)],
    seed: u64,
    rounds: usize,
) -> Result<(), Failure> {
    for (name, input) in corpus {
        run(target, check, input, || format!("corpus entry {name}"))?;
    }
    let seeds: Vec<&[u8]> = corpus.iter().map(|(_, bytes)| bytes.as_slice()).collect();
    let mut mutator = Mutator::new(seed, &seeds);
    for round in 0..rounds {
        let input = mutator.next();
        run(target, check, &input, || {
            format!("mutation {round} of seed {seed} (HOTLINE_FUZZ_SEED={seed})")
        })?;
    }
    Ok(())
}

fn smoke_target(target: &str) {
    let check = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, check)| *check)
        .unwrap_or_else(|| panic!("no fuzz check named {target}"));
    let seed = env_number("HOTLINE_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let started = std::time::Instant::now();
    let rounds = rounds(target);
    if let Err(failure) = smoke(target, check, &corpus(target), seed, rounds) {
        panic!("{failure}");
    }
    eprintln!(
        "{target}: corpus and {rounds} mutations (seed {seed}) in {:?}",
        started.elapsed()
    );
}

/// Byte- and character-level mutations of corpus entries, in the spirit of libFuzzer's:
/// a deterministic stream for a given seed and corpus.
struct Mutator<'a> {
    rng: fastrand::Rng,
    corpus: &'a [&'a [u8]],
}

/// Bytes that mean something to the parsers: TOML punctuation, quotes, escapes, line
/// ends, the field separator, protobuf varint edges.
const INTERESTING_BYTES: &[u8] = b"\0\x01\x1f\x7f\x80\xff\"'\\=[]{},.#\n\r\t -+0123456789";

/// Characters worth inserting into text: CJK, full-width, traditional, combining marks,
/// emoji, zero-width and bidi controls, the field separator.
const INTERESTING_CHARS: &[char] = &[
    '路',
    '灯',
    '火',
    '诉',
    '讼',
    '法',
    '院',
    '無',
    '報',
    'Ａ',
    '１',
    '，',
    '。',
    '\u{301}',
    '\u{200b}',
    '\u{202e}',
    '\u{feff}',
    '😀',
    '\u{1f}',
    '\u{10ffff}',
    'ß',
    'İ',
];

impl<'a> Mutator<'a> {
    fn new(seed: u64, corpus: &'a [&'a [u8]]) -> Self {
        Mutator {
            rng: fastrand::Rng::with_seed(seed),
            corpus,
        }
    }

    fn pick(&mut self) -> &'a [u8] {
        self.corpus[self.rng.usize(..self.corpus.len())]
    }

    /// A corpus entry with one to four mutations stacked.
    fn next(&mut self) -> Vec<u8> {
        let mut data = self.pick().to_vec();
        for _ in 0..self.rng.usize(1..=4) {
            self.mutate(&mut data);
        }
        data
    }

    /// A position in `data`, on a character boundary when `data` is text, so most
    /// mutations of text stay text and reach the parsers.
    fn position(&mut self, data: &[u8]) -> usize {
        let at = self.rng.usize(..=data.len());
        match std::str::from_utf8(data) {
            Ok(text) => (0..=at)
                .rev()
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(0),
            Err(_) => at,
        }
    }

    fn range(&mut self, data: &[u8]) -> (usize, usize) {
        let start = self.position(data);
        let end = self.position(data);
        (start.min(end), start.max(end))
    }

    fn mutate(&mut self, data: &mut Vec<u8>) {
        match self.rng.u8(..9) {
            // Flip a bit.
            0 if !data.is_empty() => {
                let i = self.rng.usize(..data.len());
                data[i] ^= 1 << self.rng.u8(..8);
            }
            // Overwrite a byte with one the parsers care about.
            1 if !data.is_empty() => {
                let i = self.rng.usize(..data.len());
                data[i] = INTERESTING_BYTES[self.rng.usize(..INTERESTING_BYTES.len())];
            }
            // Insert a few ASCII or interesting bytes.
            2 => {
                let at = self.position(data);
                let n = self.rng.usize(1..=8);
                let bytes: Vec<u8> = (0..n)
                    .map(|_| {
                        if self.rng.bool() {
                            INTERESTING_BYTES[self.rng.usize(..INTERESTING_BYTES.len())]
                        } else {
                            self.rng.u8(0x20..0x7f)
                        }
                    })
                    .collect();
                data.splice(at..at, bytes);
            }
            // Insert a character.
            3 => {
                let at = self.position(data);
                let c = if self.rng.bool() {
                    INTERESTING_CHARS[self.rng.usize(..INTERESTING_CHARS.len())]
                } else {
                    char::from_u32(self.rng.u32(0x4e00..0x9fa6)).unwrap()
                };
                let mut buf = [0; 4];
                data.splice(at..at, c.encode_utf8(&mut buf).bytes());
            }
            // Delete a range.
            4 => {
                let (start, end) = self.range(data);
                data.drain(start..end);
            }
            // Copy a range elsewhere, repeated up to a few times.
            5 => {
                let (start, end) = self.range(data);
                let chunk = data[start..end].repeat(self.rng.usize(1..=4));
                let at = self.position(data);
                data.splice(at..at, chunk);
            }
            // Splice: this entry's head with another entry's tail.
            6 => {
                let other = self.pick();
                let at = self.position(data);
                let from = self.position(other);
                data.truncate(at);
                data.extend_from_slice(&other[from..]);
            }
            // Insert a piece of another entry.
            7 => {
                let other = self.pick();
                let (start, end) = self.range(other);
                let at = self.position(data);
                data.splice(at..at, other[start..end].iter().copied());
            }
            // Truncate.
            _ => {
                let at = self.position(data);
                data.truncate(at);
            }
        }
    }
}

#[test]
fn classify() {
    smoke_target("classify");
}

#[test]
fn rules_file() {
    smoke_target("rules_file");
}

#[test]
fn routing_file() {
    smoke_target("routing_file");
}

#[test]
fn deadlines_file() {
    smoke_target("deadlines_file");
}

#[test]
fn units_file() {
    smoke_target("units_file");
}

#[test]
fn create_request() {
    smoke_target("create_request");
}

/// Every cargo-fuzz target has its check here and a corpus, and every check a target:
/// a new target cannot be left out of the smoke run.
#[test]
fn every_fuzz_target_is_smoked() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let names = |dir: &str, suffix: &str| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter_map(|n| n.strip_suffix(suffix).map(str::to_string))
            .collect();
        names.sort();
        names
    };
    let mut checks: Vec<String> = TARGETS.iter().map(|(n, _)| n.to_string()).collect();
    checks.sort();
    assert_eq!(names("fuzz_targets", ".rs"), checks, "fuzz/fuzz_targets");
    assert_eq!(names("corpus", ""), checks, "fuzz/corpus");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    for name in &checks {
        let target = format!("fuzz_targets/{name}.rs");
        assert!(
            manifest.contains(&target),
            "fuzz/Cargo.toml has no [[bin]] for {target}"
        );
        let source = std::fs::read_to_string(root.join(&target)).unwrap();
        assert!(
            source.contains(&format!("hotline::fuzz_checks::{name}(data)")),
            "{target} runs hotline::fuzz_checks::{name}"
        );
    }
}

/// The harness itself: a check that panics on some mutation is caught, and the failure
/// names the round and the input in hex; the same seed finds it again.
#[test]
fn a_failing_check_is_reported_with_its_input() {
    fn picky(data: &[u8]) {
        assert!(!data.contains(&b'#'), "found a hash");
    }
    let corpus = vec![("plain".to_string(), b"key = \"value\"".to_vec())];
    let failure = smoke("picky", picky, &corpus, 3, 10_000).expect_err("a mutation adds '#'");
    assert!(failure.input.contains(&b'#'));
    let report = failure.to_string();
    assert!(report.contains("found a hash"), "{report}");
    let hex: String = failure.input.iter().map(|b| format!("{b:02x}")).collect();
    assert!(report.contains(&hex), "{report}");
    let again = smoke("picky", picky, &corpus, 3, 10_000).expect_err("reproducible");
    assert_eq!((again.origin, again.input), (failure.origin, failure.input));

    let broken = vec![("bad".to_string(), b"# at once".to_vec())];
    let failure = smoke("picky", picky, &broken, 3, 0).expect_err("the corpus entry fails");
    assert_eq!(failure.origin, "corpus entry bad");
}
