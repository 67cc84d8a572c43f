//! The vector index (usearch HNSW, cosine, f16): one writer per data dir that adds and
//! publishes atomically, and memory-mapped readers in other processes that follow its saves.
//!
//! Keys are plain `u64`s; the caller maps them to alert and template ids. Beside each index
//! file `<name>.usearch` lies `<name>.meta.json` (the embedder's model id, dimensions and
//! count), written before the index is renamed into place, so a reader never pairs an index
//! with another embedder's meta.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

use super::{IndexError, Result};

/// How vectors are stored. Without usearch's `numkong` feature f16 distances convert in
/// software: bf16 builds ~2x faster at the same size (see the module's benchmark notes).
pub const SCALAR: ScalarKind = ScalarKind::F16;
/// HNSW connectivity (M), as the faiss peer uses.
pub const CONNECTIVITY: usize = 16;
/// Candidate list size while adding (efConstruction).
pub const EXPANSION_ADD: usize = 128;
/// Candidate list size while searching (efSearch), unless changed.
pub const EXPANSION_SEARCH: usize = 64;
/// The smallest capacity reserved; it then doubles as the index grows.
const MIN_CAPACITY: usize = 1024;
/// usearch marks freed slots with this key, so it cannot be stored.
const FREE_KEY: u64 = u64::MAX;
/// How often a reader retries when it catches the writer between renames.
const OPEN_ATTEMPTS: usize = 5;

/// What the index beside it holds: whose vectors, how wide, how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VectorMeta {
    pub model_id: String,
    pub dims: usize,
    pub count: usize,
}

/// One search result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Neighbour {
    pub key: u64,
    /// Cosine distance: 0 for the same direction, 1 for orthogonal, 2 for opposite.
    pub distance: f32,
}

impl Neighbour {
    /// Cosine similarity, `1 - distance`.
    pub fn similarity(&self) -> f32 {
        1.0 - self.distance
    }
}

/// The writer side: loads what is there, adds, searches and publishes. One per data dir.
pub struct VectorIndex {
    path: PathBuf,
    model_id: String,
    dims: usize,
    index: Index,
}

impl VectorIndex {
    /// Opens `path` (e.g. `<data>/index/vectors/templates.usearch`), loading what is there
    /// when its meta matches `model_id` and `dims`; otherwise (missing, or another embedder's
    /// vectors) starts empty, and the file is replaced on the next save.
    pub fn open(path: &Path, dims: usize, model_id: &str) -> Result<VectorIndex> {
        if dims == 0 {
            return Err(vector_error(path, "dimensions must be at least 1"));
        }
        let index = new_index(path, dims)?;
        let matching = match read_meta(path) {
            Ok(meta) => meta.model_id == model_id && meta.dims == dims && same_layout(path, dims),
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(io_error(&meta_path(path), e)),
        };
        if matching {
            index
                .load(path_str(path)?)
                .map_err(|e| vector_error(path, format!("cannot load: {e}")))?;
            if index.dimensions() != dims {
                return Err(vector_error(
                    path,
                    format!(
                        "holds {}-d vectors, its meta says {dims}",
                        index.dimensions()
                    ),
                ));
            }
            index.change_expansion_add(EXPANSION_ADD);
            index.change_expansion_search(EXPANSION_SEARCH);
        }
        let writer = VectorIndex {
            path: path.to_path_buf(),
            model_id: model_id.to_owned(),
            dims,
            index,
        };
        // usearch needs capacity (and per-thread state) before any add or search, also after `load`.
        writer.reserve(writer.index.size().max(MIN_CAPACITY))?;
        Ok(writer)
    }

    /// Adds `vector` under `key`, replacing what the key held.
    pub fn add(&mut self, key: u64, vector: &[f32]) -> Result<()> {
        self.check_item(key, vector)?;
        self.remove_existing(key)?;
        self.grow_for(1)?;
        self.index
            .add(key, vector)
            .map_err(|e| vector_error(&self.path, format!("cannot add key {key}: {e}")))
    }

    /// Adds many vectors on all cores (the last of repeated keys wins), replacing existing keys.
    pub fn add_batch(&mut self, items: &[(u64, Vec<f32>)]) -> Result<()> {
        for (key, vector) in items {
            self.check_item(*key, vector)?;
        }
        let mut last = std::collections::HashMap::with_capacity(items.len());
        for (i, (key, _)) in items.iter().enumerate() {
            last.insert(*key, i);
        }
        let unique: Vec<&(u64, Vec<f32>)> = items
            .iter()
            .enumerate()
            .filter(|(i, (key, _))| last.get(key) == Some(i))
            .map(|(_, item)| item)
            .collect();
        for (key, _) in &unique {
            self.remove_existing(*key)?;
        }
        self.grow_for(unique.len())?;

        let workers = threads().min(unique.len().div_ceil(64)).max(1);
        let chunk = unique.len().div_ceil(workers).max(1);
        let index = &self.index;
        let path = &self.path;
        let add_all = |part: &[&(u64, Vec<f32>)]| -> Result<()> {
            for (key, vector) in part {
                index
                    .add(*key, vector)
                    .map_err(|e| vector_error(path, format!("cannot add key {key}: {e}")))?;
            }
            Ok(())
        };
        if workers == 1 {
            return add_all(&unique);
        }
        std::thread::scope(|s| {
            let handles: Vec<_> = unique
                .chunks(chunk)
                .map(|part| s.spawn(move || add_all(part)))
                .collect();
            handles.into_iter().try_for_each(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(vector_error(path, "an add thread panicked")))
            })
        })
    }

    pub fn contains(&self, key: u64) -> bool {
        self.index.contains(key)
    }

    pub fn len(&self) -> usize {
        self.index.size()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `k` approximate nearest neighbours of `query`, nearest first.
    pub fn search(&self, query: &[f32], k: usize) -> Result<Vec<Neighbour>> {
        search_in(&self.index, &self.path, query, k)
    }

    /// Like [`search`](Self::search), among the keys `keep` accepts.
    pub fn search_filtered(
        &self,
        query: &[f32],
        k: usize,
        keep: impl Fn(u64) -> bool,
    ) -> Result<Vec<Neighbour>> {
        search_filtered_in(&self.index, &self.path, query, k, keep)
    }

    /// The true `k` nearest neighbours, by brute force over every stored vector.
    pub fn exact_search(&self, query: &[f32], k: usize) -> Result<Vec<Neighbour>> {
        exact_search_in(&self.index, &self.path, query, k)
    }

    /// The stored vector of `key` (as f16 gave it back).
    pub fn get(&self, key: u64) -> Option<Vec<f32>> {
        get_in(&self.index, key)
    }

    /// Sets the search candidate list size (efSearch).
    pub fn set_expansion_search(&self, ef: usize) {
        self.index.change_expansion_search(ef.max(1));
    }

    /// Publishes the index atomically: meta first, then the index, each written to a
    /// temporary file and renamed over the old one.
    pub fn save(&self) -> Result<()> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        }
        let index_tmp = tmp_path(&self.path);
        self.index
            .save(path_str(&index_tmp)?)
            .map_err(|e| vector_error(&index_tmp, format!("cannot save: {e}")))?;
        sync_file(&index_tmp)?;

        let meta = VectorMeta {
            model_id: self.model_id.clone(),
            dims: self.dims,
            count: self.index.size(),
        };
        let meta_file = meta_path(&self.path);
        let meta_tmp = tmp_path(&meta_file);
        let json = serde_json::to_vec_pretty(&meta)
            .map_err(|e| vector_error(&meta_file, e.to_string()))?;
        fs::write(&meta_tmp, json).map_err(|e| io_error(&meta_tmp, e))?;
        sync_file(&meta_tmp)?;
        fs::rename(&meta_tmp, &meta_file).map_err(|e| io_error(&meta_file, e))?;
        fs::rename(&index_tmp, &self.path).map_err(|e| io_error(&self.path, e))
    }

    fn check_item(&self, key: u64, vector: &[f32]) -> Result<()> {
        if key == FREE_KEY {
            return Err(vector_error(&self.path, "key u64::MAX is reserved"));
        }
        check_dims(&self.index, &self.path, vector)
    }

    fn remove_existing(&self, key: u64) -> Result<()> {
        if self.index.contains(key) {
            self.index
                .remove(key)
                .map_err(|e| vector_error(&self.path, format!("cannot replace key {key}: {e}")))?;
        }
        Ok(())
    }

    /// Makes room for `extra` more vectors, doubling the capacity when it runs short.
    fn grow_for(&self, extra: usize) -> Result<()> {
        let needed = self.index.size() + extra;
        let capacity = self.index.capacity();
        if needed > capacity {
            self.reserve(needed.max(capacity * 2).max(MIN_CAPACITY))?;
        }
        Ok(())
    }

    fn reserve(&self, capacity: usize) -> Result<()> {
        self.index
            .reserve_capacity_and_threads(capacity, threads().max(4))
            .map_err(|e| vector_error(&self.path, format!("cannot reserve {capacity}: {e}")))
    }
}

/// The read side, for other processes: a read-only memory-mapped view of the last save.
pub struct VectorReader {
    path: PathBuf,
    meta: VectorMeta,
    identity: FileIdentity,
    index: Index,
    expansion_search: AtomicUsize,
}

impl VectorReader {
    /// Views the index at `path`; `None` when nothing was saved there yet.
    pub fn open(path: &Path) -> Result<Option<VectorReader>> {
        Ok(view(path)?.map(|(meta, identity, index)| VectorReader {
            path: path.to_path_buf(),
            meta,
            identity,
            index,
            expansion_search: AtomicUsize::new(EXPANSION_SEARCH),
        }))
    }

    /// Views the file again when the writer published another one since; true when it did.
    pub fn reload_if_changed(&mut self) -> Result<bool> {
        match FileIdentity::of(&self.path) {
            Ok(now) if now == self.identity => return Ok(false),
            Ok(_) => {}
            // The writer never removes the file: keep the view we have.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(io_error(&self.path, e)),
        }
        let Some((meta, identity, index)) = view(&self.path)? else {
            return Ok(false);
        };
        index.change_expansion_search(self.expansion_search.load(Ordering::Relaxed));
        self.meta = meta;
        self.identity = identity;
        self.index = index;
        Ok(true)
    }

    pub fn meta(&self) -> &VectorMeta {
        &self.meta
    }

    pub fn len(&self) -> usize {
        self.index.size()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn search(&self, query: &[f32], k: usize) -> Result<Vec<Neighbour>> {
        search_in(&self.index, &self.path, query, k)
    }

    pub fn search_filtered(
        &self,
        query: &[f32],
        k: usize,
        keep: impl Fn(u64) -> bool,
    ) -> Result<Vec<Neighbour>> {
        search_filtered_in(&self.index, &self.path, query, k, keep)
    }

    pub fn exact_search(&self, query: &[f32], k: usize) -> Result<Vec<Neighbour>> {
        exact_search_in(&self.index, &self.path, query, k)
    }

    pub fn get(&self, key: u64) -> Option<Vec<f32>> {
        get_in(&self.index, key)
    }

    /// Sets efSearch for this view and the ones reloads bring.
    pub fn set_expansion_search(&self, ef: usize) {
        self.expansion_search.store(ef.max(1), Ordering::Relaxed);
        self.index.change_expansion_search(ef.max(1));
    }
}

/// What tells one published file from the next (a rename brings a new inode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileIdentity {
    dev: u64,
    ino: u64,
    len: u64,
    modified: Option<SystemTime>,
}

impl FileIdentity {
    fn of(path: &Path) -> io::Result<FileIdentity> {
        let m = fs::metadata(path)?;
        #[cfg(unix)]
        let (dev, ino) = {
            use std::os::unix::fs::MetadataExt;
            (m.dev(), m.ino())
        };
        #[cfg(not(unix))]
        let (dev, ino) = (0, 0);
        Ok(FileIdentity {
            dev,
            ino,
            len: m.len(),
            modified: m.modified().ok(),
        })
    }
}

/// Views the file with the meta that belongs to it, retrying when a save lands in between.
fn view(path: &Path) -> Result<Option<(VectorMeta, FileIdentity, Index)>> {
    let mut last_problem = String::new();
    for attempt in 0..OPEN_ATTEMPTS {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(20 << attempt));
        }
        let before = match FileIdentity::of(path) {
            Ok(id) => id,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(path, e)),
        };
        let meta = match read_meta(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                last_problem = "its meta file is missing".into();
                continue;
            }
            Err(e) => return Err(io_error(&meta_path(path), e)),
        };
        let viewed = Index::restore_view(path_str(path)?);
        let after = FileIdentity::of(path).map_err(|e| io_error(path, e))?;
        if after != before {
            last_problem = "it changed while being opened".into();
            continue;
        }
        let index = viewed.map_err(|e| vector_error(path, format!("cannot view: {e}")))?;
        if index.dimensions() != meta.dims || index.size() != meta.count {
            last_problem = format!(
                "it holds {} {}-d vectors, its meta says {} {}-d",
                index.size(),
                index.dimensions(),
                meta.count,
                meta.dims
            );
            continue;
        }
        index.change_expansion_search(EXPANSION_SEARCH);
        return Ok(Some((meta, before, index)));
    }
    Err(vector_error(path, last_problem))
}

fn new_index(path: &Path, dims: usize) -> Result<Index> {
    let options = IndexOptions {
        dimensions: dims,
        metric: MetricKind::Cos,
        quantization: SCALAR,
        connectivity: CONNECTIVITY,
        expansion_add: EXPANSION_ADD,
        expansion_search: EXPANSION_SEARCH,
        multi: false,
    };
    Index::new(&options).map_err(|e| vector_error(path, format!("cannot create: {e}")))
}

/// Whether the file at `path` holds what this module writes (so `load` can take it).
fn same_layout(path: &Path, dims: usize) -> bool {
    let Some(name) = path.to_str().filter(|_| path.is_file()) else {
        return false;
    };
    Index::metadata(name).is_ok_and(|m| {
        m.dimensions == dims as u64
            && m.metric == MetricKind::Cos
            && m.quantization == SCALAR
            && !m.multi
    })
}

fn check_dims(index: &Index, path: &Path, vector: &[f32]) -> Result<()> {
    if vector.len() != index.dimensions() {
        return Err(vector_error(
            path,
            format!(
                "a {}-d vector for a {}-d index",
                vector.len(),
                index.dimensions()
            ),
        ));
    }
    Ok(())
}

fn search_in(index: &Index, path: &Path, query: &[f32], k: usize) -> Result<Vec<Neighbour>> {
    check_dims(index, path, query)?;
    if k == 0 || index.size() == 0 {
        return Ok(Vec::new());
    }
    let found = index
        .search(query, k)
        .map_err(|e| vector_error(path, format!("search failed: {e}")))?;
    Ok(neighbours(found))
}

fn search_filtered_in(
    index: &Index,
    path: &Path,
    query: &[f32],
    k: usize,
    keep: impl Fn(u64) -> bool,
) -> Result<Vec<Neighbour>> {
    check_dims(index, path, query)?;
    if k == 0 || index.size() == 0 {
        return Ok(Vec::new());
    }
    let found = index
        .filtered_search(query, k, keep)
        .map_err(|e| vector_error(path, format!("search failed: {e}")))?;
    Ok(neighbours(found))
}

fn exact_search_in(index: &Index, path: &Path, query: &[f32], k: usize) -> Result<Vec<Neighbour>> {
    check_dims(index, path, query)?;
    if k == 0 || index.size() == 0 {
        return Ok(Vec::new());
    }
    let found = index
        .exact_search(query, k)
        .map_err(|e| vector_error(path, format!("exact search failed: {e}")))?;
    Ok(neighbours(found))
}

fn get_in(index: &Index, key: u64) -> Option<Vec<f32>> {
    let mut vector = vec![0.0f32; index.dimensions()];
    match index.get(key, &mut vector) {
        Ok(1..) => Some(vector),
        _ => None,
    }
}

fn neighbours(found: usearch::ffi::Matches) -> Vec<Neighbour> {
    found
        .keys
        .into_iter()
        .zip(found.distances)
        .map(|(key, distance)| Neighbour { key, distance })
        .collect()
}

/// Mean over queries of the share of the exact top `k` that the approximate top `k` found.
/// Queries with no exact neighbours are left out; with none left, 1.0.
pub fn recall_at_k(approx: &[Vec<Neighbour>], exact: &[Vec<Neighbour>], k: usize) -> f64 {
    let mut sum = 0.0;
    let mut queries = 0usize;
    for (a, e) in approx.iter().zip(exact) {
        let truth: Vec<u64> = e.iter().take(k).map(|n| n.key).collect();
        if truth.is_empty() {
            continue;
        }
        let hits = a.iter().take(k).filter(|n| truth.contains(&n.key)).count();
        sum += hits as f64 / truth.len() as f64;
        queries += 1;
    }
    if queries == 0 {
        1.0
    } else {
        sum / queries as f64
    }
}

/// Seeded synthetic unit vectors shaped like sentence embeddings: 256 Gaussian cluster
/// centres in a 32-d latent space, points spread around them there, mapped into `dims`
/// by a fixed random linear map, plus a little full-rank noise, then L2-normalised.
/// Deterministic for a seed, and the first `n` rows do not depend on how many follow.
pub fn clustered_vectors(n: usize, dims: usize, seed: u64) -> Vec<Vec<f32>> {
    const CENTRES: usize = 256;
    const SPREAD: f64 = 0.6;
    const AMBIENT_NOISE: f64 = 0.08;
    let latent = dims.clamp(1, 32);
    let mut shape = Rng::new(seed);
    let basis: Vec<f64> = (0..dims * latent)
        .map(|_| shape.normal() / (latent as f64).sqrt())
        .collect();
    let centres: Vec<f64> = (0..CENTRES * latent).map(|_| shape.normal()).collect();

    let mut rng = Rng::new(seed ^ 0x5EED_CAFE_F00D_BEEF);
    let mut z = vec![0.0f64; latent];
    (0..n)
        .map(|_| {
            let c = (rng.next_u64() % CENTRES as u64) as usize;
            for (j, zj) in z.iter_mut().enumerate() {
                *zj = centres[c * latent + j] + SPREAD * rng.normal();
            }
            let mut v: Vec<f64> = (0..dims)
                .map(|i| {
                    let row = &basis[i * latent..(i + 1) * latent];
                    let dot: f64 = row.iter().zip(&z).map(|(a, b)| a * b).sum();
                    dot + AMBIENT_NOISE * rng.normal()
                })
                .collect();
            let norm = v
                .iter()
                .map(|x| x * x)
                .sum::<f64>()
                .sqrt()
                .max(f64::MIN_POSITIVE);
            v.iter_mut().for_each(|x| *x /= norm);
            v.into_iter().map(|x| x as f32).collect()
        })
        .collect()
}

/// splitmix64 with Box-Muller normals: small, seeded, good enough for test data.
struct Rng {
    state: u64,
    spare: Option<f64>,
}

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng {
            state: seed,
            spare: None,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        if let Some(x) = self.spare.take() {
            return x;
        }
        let r = (-2.0 * self.unit().ln()).sqrt();
        let theta = std::f64::consts::TAU * self.unit();
        self.spare = Some(r * theta.sin());
        r * theta.cos()
    }
}

/// Writes `vectors` (rows of one length) as a float32 `.npy` file, format version 1.0.
pub fn write_npy(path: &Path, vectors: &[Vec<f32>]) -> io::Result<()> {
    let dims = vectors.first().map_or(0, Vec::len);
    if vectors.iter().any(|v| v.len() != dims) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "npy rows must all have the same length",
        ));
    }
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}",
        vectors.len(),
        dims
    );
    // Magic (6) + version (2) + header length (2) + header, padded to 64 bytes, ending in '\n'.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let header_len = u16::try_from(header.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "npy header too long"))?;

    let mut out = BufWriter::new(fs::File::create(path)?);
    out.write_all(b"\x93NUMPY\x01\x00")?;
    out.write_all(&header_len.to_le_bytes())?;
    out.write_all(header.as_bytes())?;
    for x in vectors.iter().flatten() {
        out.write_all(&x.to_le_bytes())?;
    }
    out.into_inner()
        .map_err(io::IntoInnerError::into_error)?
        .sync_all()
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn meta_path(path: &Path) -> PathBuf {
    path.with_extension("meta.json")
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

fn read_meta(path: &Path) -> io::Result<VectorMeta> {
    let bytes = fs::read(meta_path(path))?;
    serde_json::from_slice(&bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

fn sync_file(path: &Path) -> Result<()> {
    fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| io_error(path, e))
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str()
        .ok_or_else(|| vector_error(path, "the path is not valid UTF-8"))
}

fn vector_error(path: &Path, reason: impl Into<String>) -> IndexError {
    IndexError::Vector {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn io_error(path: &Path, source: io::Error) -> IndexError {
    IndexError::Io {
        dir: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
#[path = "vector_tests.rs"]
mod tests;
