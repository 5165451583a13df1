//! Priority scores: which cache gives memory back first.
//!
//! The score follows the reference design this project grew from (a weighted sum of age,
//! size, access frequency and type, weights 0.4 / 0.3 / 0.2 / 0.1), with each factor
//! normalised to [0, 1] over the current candidates so that the weights mean what they say:
//!
//! ```text
//! age_f    = (now - last_access) * (1 / max over candidates of (now - last_access))
//! size_f   = bytes * (1 / max bytes)
//! access_f = max(1 - access_count * (1 / max access_count), 0)
//! type_f   = type_priority / max type_priority
//! score    = (w_age/W)*age_f + (w_size/W)*size_f + (w_access/W)*access_f + (w_type/W)*type_f
//!            where W = w_age + w_size + w_access + w_type, summed left to right
//! ```
//!
//! We depart from the reference design's `value / max` for speed: each maximum's
//! reciprocal and each weight over `W` is worked out once per plan, so that scoring a cache
//! costs multiplications and no division (a division costs several times a multiplication,
//! and a million of them dominated a plan). The results may differ from the divided ones in
//! the last bit, which can only reorder caches whose scores differ by about 1e-16. The type
//! factor keeps its division, worked out once per type: a type priority may be so small that
//! its reciprocal overflows. `access_f` is held at 0 or above, since `x * (1 / x)` may round
//! just above 1.
//!
//! A factor whose maximum is 0 (every cache accessed just now, or never) tells the caches
//! apart by nothing and counts 0 for each of them. Higher scores are evicted first; equal
//! scores are ordered by id. Only `+ - * /` on `f64` are used, which IEEE 754 rounds the same
//! way on every target, so native and wasm rank caches identically.

use std::collections::BTreeSet;

use crate::config::Scoring;
use crate::eviction::EvictionRequest;
use crate::registry::{CacheEntry, CacheRegistry, Hot};

/// A cache that may be asked to evict, with its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate<'a> {
    /// The cache.
    pub entry: &'a CacheEntry,
    /// Its priority score in [0, 1] (up to rounding in the last bit); higher is evicted
    /// first.
    pub score: f64,
}

/// A cache's raw factors, less its type's priority: what its score is computed from.
struct Factors {
    age: f64,
    bytes: f64,
    count: f64,
}

impl Factors {
    /// The raw factors of a cache holding `bytes`, accessed `access_count` times, last at
    /// `last_access_ms`, at `now_ms`.
    fn new(bytes: u64, access_count: u64, last_access_ms: u64, now_ms: u64) -> Factors {
        Factors {
            age: now_ms.saturating_sub(last_access_ms) as f64,
            bytes: bytes as f64,
            count: access_count as f64,
        }
    }

    /// The raw factors of a registry's hot copy.
    fn of_hot(cache: &Hot, now_ms: u64) -> Factors {
        Factors::new(
            cache.bytes,
            cache.access_count,
            cache.last_access_ms,
            now_ms,
        )
    }
}

/// The maximum of each factor over the caches seen so far.
#[derive(Default)]
struct Maxima([f64; 4]);

impl Maxima {
    /// Takes in a cache's factors and its type's priority.
    fn include(&mut self, f: &Factors, priority: f64) {
        let max = &mut self.0;
        max[0] = max[0].max(f.age);
        max[1] = max[1].max(f.bytes);
        max[2] = max[2].max(f.count);
        max[3] = max[3].max(priority);
    }
}

/// The score formula (see the module docs), with what is the same for every cache worked
/// out once: the weights divided by their sum, the reciprocals of the maxima, and the type
/// term of each type. Scoring a cache then costs no division and no branch.
struct Scorer {
    /// `w / sum(w)` for age, size and access; access counts 0 when no cache was accessed.
    weights: [f64; 3],
    /// `1 / max` for age, size and access count, or 0 where the maximum is 0.
    inverses: [f64; 3],
    type_weight: f64,
    max_priority: f64,
}

impl Scorer {
    fn new(scoring: &Scoring, max: &Maxima) -> Scorer {
        let w = &scoring.weights;
        let sum = w.age + w.size + w.access + w.type_;
        let max = &max.0;
        let inverse = |max: f64| if max > 0.0 { 1.0 / max } else { 0.0 };
        let access_weight = if max[2] > 0.0 { w.access / sum } else { 0.0 };
        Scorer {
            weights: [w.age / sum, w.size / sum, access_weight],
            inverses: [inverse(max[0]), inverse(max[1]), inverse(max[2])],
            type_weight: w.type_ / sum,
            max_priority: max[3],
        }
    }

    /// The weighted type factor of a cache type with `priority`.
    fn type_term(&self, priority: f64) -> f64 {
        if self.max_priority > 0.0 {
            self.type_weight * (priority / self.max_priority)
        } else {
            0.0
        }
    }

    /// The score of one cache's factors, with its type's [`Scorer::type_term`].
    fn score(&self, f: &Factors, type_term: f64) -> f64 {
        let [w_age, w_size, w_access] = self.weights;
        let [i_age, i_size, i_count] = self.inverses;
        let access = (1.0 - f.count * i_count).max(0.0);
        w_age * (f.age * i_age) + w_size * (f.bytes * i_size) + w_access * access + type_term
    }
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
    let mut max = Maxima::default();
    let factors: Vec<(&CacheEntry, Factors, f64)> = caches
        .filter(|c| c.bytes > 0)
        .map(|c| {
            let priority = scoring.type_priority(&c.cache_type);
            let f = Factors::new(c.bytes, c.access_count, c.last_access_ms, now_ms);
            max.include(&f, priority);
            (c, f, priority)
        })
        .collect();
    let scorer = Scorer::new(scoring, &max);
    let mut ranked: Vec<Candidate> = factors
        .iter()
        .map(|&(entry, ref f, priority)| Candidate {
            entry,
            score: scorer.score(f, scorer.type_term(priority)),
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
/// The caches are the registry's, less those named in `asked` (the caches already asked
/// in the same check).
///
/// The same order as [`rank_candidates`], found without sorting every cache:
/// 1. One pass over the registry's dense storage finds each factor's maximum.
/// 2. A second pass turns each candidate into one integer key: the score's bits, inverted
///    so that higher scores sort first, then the cache's position in the storage.
/// 3. The keys likely to cover the target are selected with `select_nth_unstable`, with
///    every key that ties the last one's score, and only those are sorted; runs of equal
///    scores are then put in id order. A shortfall selects the next batch.
///
/// A plan over a million caches costs two passes, a selection and a sort of what it asks
/// for.
pub fn plan_requests(
    scoring: &Scoring,
    caches: &CacheRegistry,
    asked: &BTreeSet<&str>,
    now_ms: u64,
    target: u64,
) -> Vec<EvictionRequest> {
    // Priorities by type index: one lookup per type, none per cache.
    let priorities: Vec<f64> = caches
        .types()
        .iter()
        .map(|t| scoring.type_priority(t))
        .collect();
    let (entries, hot) = caches.dense();
    let is_candidate = |position: usize| {
        let skipped = !asked.is_empty() && asked.contains(entries[position].id.as_str());
        hot[position].bytes > 0 && !skipped
    };

    // The maxima, found on the integers: converting to f64 keeps their order, so the
    // largest converted is the conversion of the largest.
    let (mut max_bytes, mut max_count, mut min_last_access) = (0u64, 0u64, u64::MAX);
    let mut max_priority = 0.0f64;
    let mut count = 0u64;
    let mut total = 0u64;
    for (position, cache) in hot.iter().enumerate() {
        if is_candidate(position) {
            max_bytes = max_bytes.max(cache.bytes);
            max_count = max_count.max(cache.access_count);
            min_last_access = min_last_access.min(cache.last_access_ms);
            max_priority = max_priority.max(priorities[cache.type_index as usize]);
            count += 1;
            total += cache.bytes;
        }
    }
    let max_age = now_ms.saturating_sub(min_last_access);
    let max = Maxima([
        max_age as f64,
        max_bytes as f64,
        max_count as f64,
        max_priority,
    ]);
    if count == 0 || target == 0 {
        return Vec::new();
    }

    // Scores are never negative, and the bits of non-negative f64s order like the numbers;
    // `!bits` puts the highest score first.
    let scorer = Scorer::new(scoring, &max);
    let type_terms: Vec<f64> = priorities.iter().map(|&p| scorer.type_term(p)).collect();
    let mut keys: Vec<u128> = Vec::with_capacity(count as usize);
    for (position, cache) in hot.iter().enumerate() {
        if is_candidate(position) {
            let f = Factors::of_hot(cache, now_ms);
            let bits = !scorer
                .score(&f, type_terms[cache.type_index as usize])
                .to_bits();
            keys.push((u128::from(bits) << 64) | position as u128);
        }
    }

    let average = (total / count).max(1);
    let mut batch = usize::try_from(target / average).unwrap_or(usize::MAX);
    batch = batch.saturating_add(batch / 8).saturating_add(16);

    let entry_of = |key: &u128| &entries[(*key as u64) as usize];
    let mut requests = Vec::with_capacity(batch.min(keys.len()));
    let mut remaining = target;
    let mut rest = &mut keys[..];
    while remaining > 0 && !rest.is_empty() {
        let take = select_batch(rest, batch);
        let (head, tail) = rest.split_at_mut(take);
        head.sort_unstable();

        // A run of equal scores is put in id order just before it is asked, while its
        // caches are still in the processor's cache.
        for run in head.chunk_by_mut(|a, b| a >> 64 == b >> 64) {
            if remaining == 0 {
                break;
            }
            if run.len() > 1 {
                run.sort_unstable_by(|a, b| entry_of(a).id.cmp(&entry_of(b).id));
            }
            for key in run.iter() {
                if remaining == 0 {
                    break;
                }
                let entry = entry_of(key);
                let bytes = entry.bytes.min(remaining);
                requests.push(EvictionRequest {
                    cache: entry.id.clone(),
                    bytes,
                });
                remaining -= bytes;
            }
        }
        rest = tail;
        batch = batch.saturating_mul(2);
    }
    requests
}

/// Moves the `batch` smallest keys to the front of `keys`, with every other key whose score
/// ties the largest of them, and returns how many were moved: no key left behind ties one
/// taken, so ties can be put in id order within the batch.
fn select_batch(keys: &mut [u128], batch: usize) -> usize {
    let take = batch.clamp(1, keys.len());
    if take == keys.len() {
        return take;
    }

    keys.select_nth_unstable(take - 1);
    let boundary = keys[take - 1] >> 64;
    let mut end = take;
    for i in take..keys.len() {
        if keys[i] >> 64 == boundary {
            keys.swap(end, i);
            end += 1;
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn entry(id: &str, cache_type: &str, bytes: u64, count: u64, last: u64) -> CacheEntry {
        CacheEntry {
            id: id.into(),
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
        // worst: age 1, size 1, access 1, type 1: the sum of the weights over their sum,
        // which rounds to 1.0000000000000002 with the default weights.
        let w = &scoring.weights;
        let sum = w.age + w.size + w.access + w.type_;
        let all_ones = w.age / sum + w.size / sum + w.access / sum + w.type_ / sum;
        assert_eq!(ranked[0].score, all_ones);
        assert!((all_ones - 1.0).abs() <= f64::EPSILON);
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

    /// Large groups of equal scores straddle every batch boundary; registered in reverse id
    /// order, with removals, so the registry's dense order is not the id order. The plan
    /// must still be the full ranking's prefix, ties in id order.
    #[test]
    fn ties_across_batches_stay_in_id_order() {
        let scoring = Config::default().scoring;
        let mut registry = CacheRegistry::default();
        for i in (0..4_000u64).rev() {
            registry.upsert(CacheEntry {
                id: format!("c{i:05}").into(),
                cache_type: "frame_cache".to_string(),
                bytes: 100 + (i % 3) * 100,
                access_count: i % 2,
                last_access_ms: 0,
            });
        }
        for i in (0..4_000u64).step_by(7) {
            registry.remove(&format!("c{i:05}"));
        }
        let ranked = rank_candidates(&scoring, registry.iter(), 1_000);
        let total = registry.total_bytes();

        for target in [1, 150, 20_000, 100_000, total / 3, total - 1, total] {
            let requests = plan_requests(&scoring, &registry, &BTreeSet::new(), 1_000, target);
            let mut remaining = target;
            for (request, candidate) in requests.iter().zip(&ranked) {
                assert_eq!(request.cache, candidate.entry.id, "target {target}");
                assert_eq!(request.bytes, candidate.entry.bytes.min(remaining));
                remaining -= request.bytes;
            }
            assert_eq!(remaining, 0, "target {target}");
        }
    }

    /// The partial selection gives exactly the prefix of the full ranking.
    #[test]
    fn plan_requests_follow_the_full_ranking() {
        let scoring = Config::default().scoring;
        let types = ["frame_cache", "validation_cache", "resize_cache", "other"];
        let caches: Vec<CacheEntry> = (0..5_000u64)
            .map(|i| CacheEntry {
                id: format!("c{i:05}").into(),
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
            let requests = plan_requests(&scoring, &registry, &BTreeSet::new(), 1_000, target);
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
