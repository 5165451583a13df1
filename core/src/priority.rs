//! Priority scores: which cache gives memory back first.
//!
//! The score follows the reference design this project grew from (a weighted sum of age,
//! size, access frequency and type, weights 0.4 / 0.3 / 0.2 / 0.1), with each factor
//! normalised to [0, 1] over the current candidates so that the weights mean what they say:
//!
//! ```text
//! age_f    = (now - last_access) / max over candidates of (now - last_access)
//! size_f   = bytes / max bytes
//! access_f = 1 - access_count / max access_count
//! type_f   = type_priority / max type_priority
//! score    = (w_age*age_f + w_size*size_f + w_access*access_f + w_type*type_f) / sum(w)
//! ```
//!
//! A factor whose maximum is 0 (every cache accessed just now, or never) tells the caches
//! apart by nothing and counts 0 for each of them. Higher scores are evicted first; equal
//! scores are ordered by id. Only `+ - * /` on `f64` are used, which IEEE 754 rounds the same
//! way on every target, so native and wasm rank caches identically.

use crate::config::Scoring;
use crate::eviction::EvictionRequest;
use crate::registry::{CacheEntry, CacheRegistry};

/// A cache that may be asked to evict, with its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate<'a> {
    /// The cache.
    pub entry: &'a CacheEntry,
    /// Its priority score in [0, 1]; higher is evicted first.
    pub score: f64,
}

/// A cache's raw factors, kept compact so that the scoring pass reads contiguous memory.
struct Factors<'a> {
    entry: &'a CacheEntry,
    id: &'a str,
    held: u64,
    age: f64,
    bytes: f64,
    count: f64,
    priority: f64,
}

/// The factors of the caches (with their type priorities) that hold bytes, in the order
/// given, and the maximum of each factor.
fn gather<'a>(
    caches: impl Iterator<Item = (&'a CacheEntry, f64)>,
    now_ms: u64,
) -> (Vec<Factors<'a>>, [f64; 4]) {
    let mut factors = Vec::with_capacity(caches.size_hint().0);
    let mut max = [0.0f64; 4];
    for (entry, priority) in caches.filter(|(c, _)| c.bytes > 0) {
        let f = Factors {
            entry,
            id: &entry.id,
            held: entry.bytes,
            age: now_ms.saturating_sub(entry.last_access_ms) as f64,
            bytes: entry.bytes as f64,
            count: entry.access_count as f64,
            priority,
        };
        max[0] = max[0].max(f.age);
        max[1] = max[1].max(f.bytes);
        max[2] = max[2].max(f.count);
        max[3] = max[3].max(f.priority);
        factors.push(f);
    }
    (factors, max)
}

/// The score of one cache's factors, given the maxima (see the module docs).
fn score(scoring: &Scoring, max: &[f64; 4], f: &Factors) -> f64 {
    let w = &scoring.weights;
    let ratio = |value: f64, max: f64| if max > 0.0 { value / max } else { 0.0 };
    let access_f = if max[2] > 0.0 {
        1.0 - f.count / max[2]
    } else {
        0.0
    };
    let sum = w.age * ratio(f.age, max[0])
        + w.size * ratio(f.bytes, max[1])
        + w.access * access_f
        + w.type_ * ratio(f.priority, max[3]);
    sum / (w.age + w.size + w.access + w.type_)
}

/// Scores every cache that holds bytes and returns them all in eviction order.
///
/// ```
/// use mempressure_core::{CacheEntry, Config, priority::rank_candidates};
///
/// let scoring = Config::default().scoring;
/// let caches = [
///     CacheEntry::new("fresh", "frame_cache", 10, 1_000),
///     CacheEntry::new("stale", "frame_cache", 10, 0),
/// ];
/// let ranked = rank_candidates(&scoring, caches.iter(), 1_000);
/// assert_eq!(ranked[0].entry.id, "stale");
/// ```
pub fn rank_candidates<'a>(
    scoring: &Scoring,
    caches: impl Iterator<Item = &'a CacheEntry>,
    now_ms: u64,
) -> Vec<Candidate<'a>> {
    let with_priority = caches.map(|c| (c, scoring.type_priority(&c.cache_type)));
    let (factors, max) = gather(with_priority, now_ms);
    let mut ranked: Vec<Candidate> = factors
        .iter()
        .map(|f| Candidate {
            entry: f.entry,
            score: score(scoring, &max, f),
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.entry.id.cmp(&b.entry.id))
    });
    ranked
}

/// The requests of an eviction plan: the highest-scoring caches, each asked for at most
/// what is still needed (the last one partially), until `target` bytes are covered.
///
/// The caches are the registry's, less those `skip` names (the caches already asked in
/// the same check).
///
/// The same order as [`rank_candidates`], found without sorting every cache: each
/// candidate becomes one integer key (the score's bits, inverted so that higher scores sort
/// first, then the position), the keys likely to cover the target are selected with
/// `select_nth_unstable` and only those are sorted; a shortfall selects the next batch.
/// A plan over a million caches costs a scoring pass, a selection and a sort of what it
/// asks for.
pub fn plan_requests(
    scoring: &Scoring,
    caches: &CacheRegistry,
    skip: impl Fn(&CacheEntry) -> bool,
    now_ms: u64,
    target: u64,
) -> Vec<EvictionRequest> {
    // Priorities by type index: one lookup per type, none per cache.
    let priorities: Vec<f64> = caches
        .types()
        .iter()
        .map(|t| scoring.type_priority(t))
        .collect();
    let with_priority = caches
        .iter_with_type_index()
        .filter(|(entry, _)| !skip(entry))
        .map(|(entry, type_index)| (entry, priorities[type_index]));
    let (factors, max) = gather(with_priority, now_ms);
    if factors.is_empty() || target == 0 {
        return Vec::new();
    }

    // Scores are in [0, 1], where f64 bits order like the numbers; `!bits` puts the highest
    // score first, and the position (id order, as the registry walks) breaks ties.
    let mut keys: Vec<u128> = factors
        .iter()
        .enumerate()
        .map(|(i, f)| (u128::from(!score(scoring, &max, f).to_bits()) << 64) | i as u128)
        .collect();

    let total: u64 = factors.iter().map(|f| f.held).sum();
    let average = (total / factors.len() as u64).max(1);
    let mut batch = usize::try_from(target / average).unwrap_or(usize::MAX);
    batch = batch.saturating_add(batch / 8).saturating_add(16);

    let mut requests = Vec::with_capacity(batch.min(keys.len()));
    let mut remaining = target;
    let mut rest = &mut keys[..];
    while remaining > 0 && !rest.is_empty() {
        let take = batch.min(rest.len());
        if take < rest.len() {
            rest.select_nth_unstable(take - 1);
        }
        let (head, tail) = rest.split_at_mut(take);
        head.sort_unstable();
        for key in head.iter() {
            if remaining == 0 {
                break;
            }
            let f = &factors[(*key as u64) as usize];
            let bytes = f.held.min(remaining);
            requests.push(EvictionRequest {
                cache: f.id.to_string(),
                bytes,
            });
            remaining -= bytes;
        }
        rest = tail;
        batch = batch.saturating_mul(2);
    }
    requests
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn entry(id: &str, cache_type: &str, bytes: u64, count: u64, last: u64) -> CacheEntry {
        CacheEntry {
            id: id.to_string(),
            cache_type: cache_type.to_string(),
            bytes,
            access_count: count,
            last_access_ms: last,
        }
    }

    fn ids<'a>(ranked: &[Candidate<'a>]) -> Vec<&'a str> {
        ranked.iter().map(|c| c.entry.id.as_str()).collect()
    }

    #[test]
    fn each_factor_ranks_the_way_it_says() {
        let scoring = Config::default().scoring;
        let older = [entry("new", "x", 10, 0, 100), entry("old", "x", 10, 0, 0)];
        assert_eq!(
            ids(&rank_candidates(&scoring, older.iter(), 100)),
            ["old", "new"]
        );

        let bigger = [entry("small", "x", 10, 0, 0), entry("big", "x", 99, 0, 0)];
        assert_eq!(
            ids(&rank_candidates(&scoring, bigger.iter(), 0)),
            ["big", "small"]
        );

        let rarer = [entry("hot", "x", 10, 50, 0), entry("cold", "x", 10, 1, 0)];
        assert_eq!(
            ids(&rank_candidates(&scoring, rarer.iter(), 0)),
            ["cold", "hot"]
        );

        let typed = [
            entry("f", "frame_cache", 10, 0, 0),
            entry("v", "validation_cache", 10, 0, 0),
        ];
        assert_eq!(ids(&rank_candidates(&scoring, typed.iter(), 0)), ["v", "f"]);
    }

    #[test]
    fn the_weights_are_the_scores_of_the_extremes() {
        let scoring = Config::default().scoring;
        let caches = [
            entry("worst", "validation_cache", 100, 0, 0),
            entry("best", "frame_cache", 1, 10, 50),
        ];
        let ranked = rank_candidates(&scoring, caches.iter(), 50);
        // worst: age 1, size 1, access 1, type 1 -> 1.0
        assert_eq!(ranked[0].score, 1.0);
        // best: age 0, size 0.01, access 0, type 1/3 -> (0.3*0.01 + 0.1/3) / 1.0
        assert!((ranked[1].score - (0.003 + 0.1 / 3.0)).abs() < 1e-12);
    }

    #[test]
    fn ties_are_broken_by_id_and_empty_caches_are_skipped() {
        let scoring = Config::default().scoring;
        let caches = [
            entry("b", "x", 10, 0, 0),
            entry("a", "x", 10, 0, 0),
            entry("z", "x", 0, 0, 0),
        ];
        assert_eq!(
            ids(&rank_candidates(&scoring, caches.iter(), 0)),
            ["a", "b"]
        );
    }
}

#[cfg(test)]
mod plan_tests {
    use super::*;
    use crate::config::Config;

    /// The partial selection gives exactly the prefix of the full ranking.
    #[test]
    fn plan_requests_follow_the_full_ranking() {
        let scoring = Config::default().scoring;
        let types = ["frame_cache", "validation_cache", "resize_cache", "other"];
        let caches: Vec<CacheEntry> = (0..5_000u64)
            .map(|i| CacheEntry {
                id: format!("c{i:05}"),
                cache_type: types[(i % 4) as usize].to_string(),
                bytes: (i * 7919) % 1000 + (i % 3),
                access_count: (i * 31) % 17,
                last_access_ms: (i * 13) % 1000,
            })
            .collect();
        let ranked = rank_candidates(&scoring, caches.iter(), 1_000);
        let total: u64 = ranked.iter().map(|c| c.entry.bytes).sum();

        let mut registry = CacheRegistry::default();
        for cache in &caches {
            registry.upsert(cache.clone());
        }
        for target in [1, 500, 10_000, 300_000, total / 2, total, total + 5] {
            let requests = plan_requests(&scoring, &registry, |_| false, 1_000, target);
            let mut remaining = target;
            for (request, candidate) in requests.iter().zip(&ranked) {
                assert_eq!(request.cache, candidate.entry.id);
                assert_eq!(request.bytes, candidate.entry.bytes.min(remaining));
                remaining -= request.bytes;
            }
            let asked: u64 = requests.iter().map(|r| r.bytes).sum();
            assert_eq!(asked, target.min(total), "target {target}");
        }
    }
}
