//! The lexical fallback embedder: signed feature hashing of words and character trigrams.
//!
//! Texts that share words or spellings land close together; synonyms do not. It needs no model
//! and is deterministic across runs and machines (xxh3 with fixed seeds).

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::DIMS;

/// Stored with vector files; bump when the features or weights change.
pub(crate) const MODEL_ID: &str = "hashing-v1";

const WORD_SEED: u64 = 0x746f_6373_696e_0001;
const TRIGRAM_SEED: u64 = 0x746f_6373_696e_0003;
const WORD_WEIGHT: f32 = 1.0;
const TRIGRAM_WEIGHT: f32 = 0.5;

/// Lowercased alphanumeric runs of `text`.
pub(crate) fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// The unit vector of `text` (all zeros when it has no word).
pub(crate) fn embed(text: &str) -> Vec<f32> {
    let mut v = vec![0.0f32; DIMS];
    let mut buf = String::new();
    for word in words(text) {
        add(&mut v, word.as_bytes(), WORD_SEED, WORD_WEIGHT);
        // Trigrams of the word with boundary marks, so "ssh" and "sshd" share "^ss" and "ssh".
        buf.clear();
        buf.push('^');
        buf.push_str(&word);
        buf.push('$');
        let bounds: Vec<usize> = buf
            .char_indices()
            .map(|(i, _)| i)
            .chain([buf.len()])
            .collect();
        for w in bounds.windows(4) {
            add(
                &mut v,
                &buf.as_bytes()[w[0]..w[3]],
                TRIGRAM_SEED,
                TRIGRAM_WEIGHT,
            );
        }
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

fn add(v: &mut [f32], feature: &[u8], seed: u64, weight: f32) {
    let h = xxh3_64_with_seed(feature, seed);
    let bucket = (h % DIMS as u64) as usize;
    let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
    v[bucket] += sign * weight;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn deterministic_and_normalised() {
        let text = "Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster";
        let a = embed(text);
        let b = embed(text);
        assert_eq!(a, b);
        assert_eq!(a.len(), DIMS);
        assert!((dot(&a, &a) - 1.0).abs() < 1e-5);
        // Case does not matter.
        assert_eq!(embed("FAILED Password"), embed("failed password"));
    }

    #[test]
    fn pinned_bucket_values() {
        // Pinned so a change of hash, seed or features shows up (and MODEL_ID gets bumped).
        let v = embed("sshd");
        let nonzero: Vec<(usize, f32)> = v
            .iter()
            .enumerate()
            .filter(|(_, x)| **x != 0.0)
            .map(|(i, x)| (i, *x))
            .collect();
        // One word (weight 1) and four trigrams "^ss" "ssh" "shd" "hd$" (weight 0.5), over sqrt(2).
        let (w, t) = (
            std::f32::consts::FRAC_1_SQRT_2,
            std::f32::consts::FRAC_1_SQRT_2 / 2.0,
        );
        let want = [(60, -t), (72, -t), (110, -t), (131, -t), (225, -w)];
        assert_eq!(nonzero.len(), want.len(), "{nonzero:?}");
        for ((i, x), (wi, wx)) in nonzero.iter().zip(want) {
            assert_eq!(*i, wi, "{nonzero:?}");
            assert!((x - wx).abs() < 1e-6, "{nonzero:?}");
        }
    }

    #[test]
    fn empty_and_symbol_only_input_is_zero_not_nan() {
        for text in ["", "   ", ":-) [] ###"] {
            let v = embed(text);
            assert_eq!(v.len(), DIMS);
            assert!(v.iter().all(|x| *x == 0.0), "{text:?}");
        }
    }

    #[test]
    fn similar_texts_are_closer_than_unrelated_ones() {
        let a = embed("Failed password for invalid user admin from 10.0.0.5 port 22 ssh2");
        let b = embed("Failed password for invalid user oracle from 10.0.0.9 port 22 ssh2");
        let c = embed("The bakery opened two new shops downtown this quarter");
        assert!(dot(&a, &b) > 0.5, "{}", dot(&a, &b));
        assert!(dot(&a, &b) > dot(&a, &c) + 0.3);
    }

    #[test]
    fn non_ascii_words_hash_on_char_boundaries() {
        let v = embed("accès refusé 管理员");
        assert!((dot(&v, &v) - 1.0).abs() < 1e-5);
    }
}
