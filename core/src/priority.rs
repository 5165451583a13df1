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

use serde::{Deserialize, Serialize};

use crate::config::Scoring;
use crate::registry::CacheEntry;

/// A cache that may be asked to evict, with its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The cache's id.
    pub id: String,
    /// Bytes it holds.
    pub bytes: u64,
    /// Its priority score in [0, 1]; higher is evicted first.
    pub score: f64,
}

/// Scores every cache that holds bytes and returns them in eviction order.
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
/// assert_eq!(ranked[0].id, "stale");
/// ```
pub fn rank_candidates<'a>(
    scoring: &Scoring,
    caches: impl Iterator<Item = &'a CacheEntry>,
    now_ms: u64,
) -> Vec<Candidate> {
    let caches: Vec<&CacheEntry> = caches.filter(|c| c.bytes > 0).collect();
    let w = &scoring.weights;
    let weight_sum = w.age + w.size + w.access + w.type_;

    let age = |c: &CacheEntry| now_ms.saturating_sub(c.last_access_ms) as f64;
    let priority = |c: &CacheEntry| scoring.type_priority(&c.cache_type);
    let max_age = caches.iter().map(|c| age(c)).fold(0.0, f64::max);
    let max_bytes = caches.iter().map(|c| c.bytes).max().unwrap_or(0) as f64;
    let max_count = caches.iter().map(|c| c.access_count).max().unwrap_or(0) as f64;
    let max_priority = caches.iter().map(|c| priority(c)).fold(0.0, f64::max);

    let ratio = |value: f64, max: f64| if max > 0.0 { value / max } else { 0.0 };
    let mut ranked: Vec<Candidate> = caches
        .iter()
        .map(|c| {
            let access_f = if max_count > 0.0 {
                1.0 - c.access_count as f64 / max_count
            } else {
                0.0
            };
            let sum = w.age * ratio(age(c), max_age)
                + w.size * ratio(c.bytes as f64, max_bytes)
                + w.access * access_f
                + w.type_ * ratio(priority(c), max_priority);
            Candidate {
                id: c.id.clone(),
                bytes: c.bytes,
                score: sum / weight_sum,
            }
        })
        .collect();

    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    ranked
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

    fn ids(ranked: &[Candidate]) -> Vec<&str> {
        ranked.iter().map(|c| c.id.as_str()).collect()
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
