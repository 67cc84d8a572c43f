//! Tests of the vector index: add/replace/search, persistence, readers following saves,
//! recall against exact search, and the `.npy` writer.

use super::*;

const MODEL: &str = "test-model";

fn unit(v: &[f32]) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / norm).collect()
}

fn index_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("index/vectors/templates.usearch")
}

#[test]
fn add_search_replace_contains_get() {
    let dir = tempfile::tempdir().unwrap();
    let mut ix = VectorIndex::open(&index_path(&dir), 4, MODEL).unwrap();
    assert!(ix.is_empty());
    assert!(ix.search(&[1.0, 0.0, 0.0, 0.0], 3).unwrap().is_empty());

    ix.add(1, &[1.0, 0.0, 0.0, 0.0]).unwrap();
    ix.add(2, &[0.0, 1.0, 0.0, 0.0]).unwrap();
    ix.add(3, &[0.7, 0.7, 0.0, 0.0]).unwrap();
    assert_eq!(ix.len(), 3);
    assert!(ix.contains(2) && !ix.contains(9));

    let hits = ix.search(&[2.0, 0.1, 0.0, 0.0], 2).unwrap();
    assert_eq!(hits.iter().map(|n| n.key).collect::<Vec<_>>(), [1, 3]);
    assert!(hits[0].distance < 0.01 && hits[0].similarity() > 0.99);

    // Replacing a key moves it, without a second copy.
    ix.add(1, &[0.0, 0.0, 0.0, 1.0]).unwrap();
    assert_eq!(ix.len(), 3);
    let hits = ix.search(&[0.0, 0.0, 0.0, 1.0], 1).unwrap();
    assert_eq!(hits[0].key, 1);
    let got = ix.get(1).unwrap();
    assert_eq!(got, [0.0, 0.0, 0.0, 1.0]);
    assert!(ix.get(42).is_none());

    let filtered = ix
        .search_filtered(&[1.0, 0.9, 0.0, 0.0], 3, |k| k != 3)
        .unwrap();
    assert_eq!(filtered[0].key, 2);
    assert!(filtered.iter().all(|n| n.key != 3));

    let exact = ix.exact_search(&[0.1, 1.0, 0.0, 0.0], 10).unwrap();
    assert_eq!(exact.len(), 3);
    assert_eq!(exact[0].key, 2);

    // Wrong width and the reserved key are refused.
    assert!(ix.add(5, &[1.0, 0.0]).is_err());
    assert!(ix.search(&[1.0], 1).is_err());
    assert!(ix.add(u64::MAX, &[1.0, 0.0, 0.0, 0.0]).is_err());
    assert_eq!(ix.len(), 3);
}

#[test]
fn add_batch_grows_replaces_and_last_repeat_wins() {
    let dir = tempfile::tempdir().unwrap();
    let mut ix = VectorIndex::open(&index_path(&dir), 16, MODEL).unwrap();
    let vectors = clustered_vectors(3000, 16, 7);
    let items: Vec<(u64, Vec<f32>)> = vectors
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, v)| (i as u64, v))
        .collect();
    ix.add_batch(&items).unwrap();
    assert_eq!(ix.len(), 3000);

    let moved = unit(&[1.0; 16]);
    let again = vec![
        (5, vectors[9].clone()),
        (10, moved.clone()),
        (5, moved.clone()),
    ];
    ix.add_batch(&again).unwrap();
    assert_eq!(ix.len(), 3000);
    let top: Vec<u64> = ix
        .exact_search(&moved, 2)
        .unwrap()
        .iter()
        .map(|n| n.key)
        .collect();
    assert_eq!(top.len(), 2);
    assert!(top.contains(&5) && top.contains(&10));
    // A bad item fails the batch before anything changes.
    let bad = vec![(4000, moved.clone()), (4001, vec![1.0; 3])];
    assert!(ix.add_batch(&bad).is_err());
    assert!(!ix.contains(4000));
}

#[test]
fn save_then_open_loads_and_other_model_starts_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = index_path(&dir);
    let mut ix = VectorIndex::open(&path, 8, MODEL).unwrap();
    let vectors = clustered_vectors(100, 8, 1);
    for (i, v) in vectors.iter().enumerate() {
        ix.add(i as u64 * 10, v).unwrap();
    }
    ix.save().unwrap();
    assert!(!tmp_path(&path).exists());
    let meta: VectorMeta = serde_json::from_slice(
        &fs::read(dir.path().join("index/vectors/templates.meta.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        meta,
        VectorMeta {
            model_id: MODEL.into(),
            dims: 8,
            count: 100
        }
    );

    let mut again = VectorIndex::open(&path, 8, MODEL).unwrap();
    assert_eq!(again.len(), 100);
    assert!(again.contains(990));
    assert_eq!(again.search(&vectors[3], 1).unwrap()[0].key, 30);
    // Loaded indexes take adds (usearch needs a reserve after load).
    again.add(7, &vectors[0]).unwrap();
    assert_eq!(again.len(), 101);

    let other = VectorIndex::open(&path, 8, "another-model").unwrap();
    assert!(other.is_empty());
    let wider = VectorIndex::open(&path, 16, MODEL).unwrap();
    assert!(wider.is_empty());
    other.save().unwrap();
    assert!(VectorIndex::open(&path, 8, MODEL).unwrap().is_empty());

    // A file of another layout (here f32) under a matching meta is not loaded either.
    let options = usearch::IndexOptions {
        dimensions: 8,
        metric: usearch::MetricKind::Cos,
        quantization: usearch::ScalarKind::F32,
        connectivity: 16,
        expansion_add: 128,
        expansion_search: 64,
        multi: false,
    };
    let raw = usearch::Index::new(&options).unwrap();
    raw.reserve(10).unwrap();
    raw.add(1, &vectors[0]).unwrap();
    raw.save(path.to_str().unwrap()).unwrap();
    let meta = VectorMeta {
        model_id: MODEL.into(),
        dims: 8,
        count: 1,
    };
    fs::write(meta_path(&path), serde_json::to_vec(&meta).unwrap()).unwrap();
    assert!(VectorIndex::open(&path, 8, MODEL).unwrap().is_empty());
}

#[test]
fn reader_follows_the_writers_saves() {
    let dir = tempfile::tempdir().unwrap();
    let path = index_path(&dir);
    let mut ix = VectorIndex::open(&path, 8, MODEL).unwrap();
    let vectors = clustered_vectors(200, 8, 3);
    ix.add(1, &vectors[0]).unwrap();
    assert!(
        VectorReader::open(&path).unwrap().is_none(),
        "nothing saved yet"
    );

    ix.save().unwrap();
    let mut reader = VectorReader::open(&path).unwrap().unwrap();
    assert_eq!(reader.meta().model_id, MODEL);
    assert_eq!((reader.len(), reader.meta().count), (1, 1));
    assert!(!reader.reload_if_changed().unwrap());

    for (i, v) in vectors.iter().enumerate().skip(1) {
        ix.add(i as u64 + 1, v).unwrap();
    }
    assert_eq!(reader.len(), 1, "unsaved adds stay invisible");
    ix.save().unwrap();
    assert!(reader.reload_if_changed().unwrap());
    assert!(!reader.reload_if_changed().unwrap());
    assert_eq!((reader.len(), reader.meta().count), (200, 200));
    assert_eq!(reader.search(&vectors[50], 1).unwrap()[0].key, 51);
    assert_eq!(reader.exact_search(&vectors[50], 1).unwrap()[0].key, 51);
    let filtered = reader
        .search_filtered(&vectors[50], 5, |k| k % 2 == 0)
        .unwrap();
    assert!(!filtered.is_empty() && filtered.iter().all(|n| n.key % 2 == 0));
    let got = reader.get(51).unwrap();
    let cos: f32 = got.iter().zip(&vectors[50]).map(|(a, b)| a * b).sum();
    assert!(cos > 0.999, "f16 round trip, cos {cos}");
    assert!(reader.get(1000).is_none());
}

#[test]
fn recall_at_10_against_exact_search() {
    let dir = tempfile::tempdir().unwrap();
    let (n, queries, dims) = (10_000, 100, 64);
    let all = clustered_vectors(n + queries, dims, 42);
    let (base, qs) = all.split_at(n);
    let mut ix = VectorIndex::open(&index_path(&dir), dims, MODEL).unwrap();
    let items: Vec<(u64, Vec<f32>)> = base
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, v)| (i as u64, v))
        .collect();
    ix.add_batch(&items).unwrap();
    assert_eq!(ix.len(), n);

    let approx: Vec<_> = qs.iter().map(|q| ix.search(q, 10).unwrap()).collect();
    let exact: Vec<_> = qs.iter().map(|q| ix.exact_search(q, 10).unwrap()).collect();
    assert!(exact.iter().all(|e| e.len() == 10));
    assert!(
        exact
            .iter()
            .all(|e| e.windows(2).all(|w| w[0].distance <= w[1].distance))
    );
    let recall = recall_at_k(&approx, &exact, 10);
    eprintln!("recall@10 {recall}");
    assert!(recall >= 0.95, "recall@10 {recall}");
}

#[test]
fn recall_counts_shared_keys() {
    let n = |key| Neighbour { key, distance: 0.0 };
    let approx = vec![vec![n(1), n(2)], vec![n(3), n(9)]];
    let exact = vec![vec![n(2), n(1)], vec![n(3), n(4)]];
    assert_eq!(recall_at_k(&approx, &exact, 2), 0.75);
    assert_eq!(recall_at_k(&[], &[], 10), 1.0);
}

#[test]
fn clustered_vectors_are_seeded_unit_and_prefix_stable() {
    let a = clustered_vectors(50, 32, 9);
    assert_eq!(a, clustered_vectors(50, 32, 9));
    assert_ne!(a, clustered_vectors(50, 32, 10));
    assert_eq!(a[..20], clustered_vectors(20, 32, 9)[..]);
    for v in &a {
        assert_eq!(v.len(), 32);
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4);
    }
}

#[test]
fn npy_header_and_data_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.npy");
    let vectors = clustered_vectors(5, 3, 4);
    write_npy(&path, &vectors).unwrap();
    let bytes = fs::read(&path).unwrap();

    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let data_start = 10 + header_len;
    assert_eq!(data_start % 64, 0);
    let header = std::str::from_utf8(&bytes[10..data_start]).unwrap();
    assert!(header.ends_with('\n'));
    assert!(header.contains("'descr': '<f4'"));
    assert!(header.contains("'fortran_order': False"));
    assert!(header.contains("'shape': (5, 3)"));

    let data: Vec<f32> = bytes[data_start..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(data, vectors.concat());
    assert!(write_npy(&path, &[vec![1.0], vec![1.0, 2.0]]).is_err());
}
