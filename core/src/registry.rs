//! The caches the program registered: their bytes, type and how they are used.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

/// One registered cache, as the monitor knows it.
///
/// ```
/// use mempressure_core::CacheEntry;
///
/// let frames = CacheEntry::new("frames", "frame_cache", 100 << 20, 0);
/// assert_eq!(frames.access_count, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheEntry {
    /// Unique id, chosen by the program. Ids of up to 23 bytes are held inline (a
    /// [`SmolStr`]), so a plan hands them out without allocating.
    pub id: SmolStr,
    /// Kind of cache; picks the type priority (`frame_cache`, `validation_cache`, ...).
    #[serde(rename = "type")]
    pub cache_type: String,
    /// Bytes the cache holds now.
    pub bytes: u64,
    /// How many times the cache was accessed.
    pub access_count: u64,
    /// When the cache was last accessed, in milliseconds on the monitor's clock.
    pub last_access_ms: u64,
}

impl CacheEntry {
    /// A cache entry never accessed since `t_ms`.
    pub fn new(id: &str, cache_type: &str, bytes: u64, t_ms: u64) -> CacheEntry {
        CacheEntry {
            id: SmolStr::new(id),
            cache_type: cache_type.to_string(),
            bytes,
            access_count: 0,
            last_access_ms: t_ms,
        }
    }
}

/// Bytes and count of the caches of one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TypeBreakdown {
    /// Bytes held by caches of this type.
    pub bytes: u64,
    /// Number of caches of this type.
    pub count: u64,
    /// `bytes / count`, rounded down.
    pub average_bytes: u64,
}

/// What eviction planning reads of one cache: a copy of its numbers and the index of its
/// type in the registry's type table, kept apart from its strings.
///
/// A scoring pass over a million caches then reads 32 MB instead of the 72 MB that the
/// full entries take. The registry keeps each copy equal to its entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Hot {
    pub(crate) bytes: u64,
    pub(crate) access_count: u64,
    pub(crate) last_access_ms: u64,
    pub(crate) type_index: u32,
}

impl Hot {
    fn of(entry: &CacheEntry, type_index: u32) -> Hot {
        Hot {
            bytes: entry.bytes,
            access_count: entry.access_count,
            last_access_ms: entry.last_access_ms,
            type_index,
        }
    }
}

/// All registered caches; every walk over them through the public API is ordered by id,
/// so it is deterministic.
///
/// The caches sit in dense vectors, in no particular order, with an index from id to
/// position: eviction planning reads them front to back, as contiguous memory, instead of
/// chasing a tree's pointers, and ranks ties by id itself. Cache types are interned: each
/// cache keeps the index of its type in a small table, so scoring a million caches never
/// reads their type strings.
#[derive(Debug, Clone, Default)]
pub struct CacheRegistry {
    entries: Vec<CacheEntry>,
    /// `hot[i]` mirrors `entries[i]`.
    hot: Vec<Hot>,
    positions: BTreeMap<SmolStr, u32>,
    types: Vec<String>,
    type_indices: BTreeMap<String, u32>,
    total_bytes: u64,
}

/// Two registries are equal when they hold the same caches, whatever order they were
/// registered in.
impl PartialEq for CacheRegistry {
    fn eq(&self, other: &CacheRegistry) -> bool {
        self.total_bytes == other.total_bytes && self.iter().eq(other.iter())
    }
}

impl CacheRegistry {
    /// Adds a cache, or replaces the one with the same id.
    ///
    /// # Panics
    /// When the caches would hold more than `u64::MAX` bytes in all; check with
    /// [`CacheRegistry::others_bytes`] first ([`crate::PressureMonitor::register_cache`]
    /// does, and refuses such a size). When more than `u32::MAX` caches or cache types
    /// would be registered.
    pub fn upsert(&mut self, entry: CacheEntry) {
        let type_index = match self.type_indices.get(&entry.cache_type) {
            Some(&index) => index,
            None => {
                let index = u32::try_from(self.types.len()).expect("fewer than 2^32 cache types");
                self.types.push(entry.cache_type.clone());
                self.type_indices.insert(entry.cache_type.clone(), index);
                index
            }
        };

        self.total_bytes = self
            .others_bytes(&entry.id)
            .checked_add(entry.bytes)
            .expect("the caches hold at most u64::MAX bytes in all");

        let hot = Hot::of(&entry, type_index);
        match self.positions.get(&entry.id) {
            Some(&position) => {
                self.hot[position as usize] = hot;
                self.entries[position as usize] = entry;
            }
            None => {
                let position = u32::try_from(self.entries.len()).expect("fewer than 2^32 caches");
                self.positions.insert(entry.id.clone(), position);
                self.entries.push(entry);
                self.hot.push(hot);
            }
        }
    }

    /// Removes a cache; returns it if it was registered.
    pub fn remove(&mut self, id: &str) -> Option<CacheEntry> {
        let position = self.positions.remove(id)? as usize;
        let removed = self.entries.swap_remove(position);
        self.hot.swap_remove(position);
        self.total_bytes -= removed.bytes;

        // The last cache moved into the hole.
        if let Some(moved) = self.entries.get(position) {
            self.positions.insert(moved.id.clone(), position as u32);
        }
        Some(removed)
    }

    /// Changes the numbers of the cache with this id, in its entry and in its hot copy;
    /// returns what `change` returned, or `None` when no cache has that id.
    fn update<T>(&mut self, id: &str, change: impl FnOnce(&mut CacheEntry) -> T) -> Option<T> {
        let position = *self.positions.get(id)? as usize;
        let entry = &mut self.entries[position];
        let out = change(entry);

        let hot = &mut self.hot[position];
        *hot = Hot::of(entry, hot.type_index);
        Some(out)
    }

    /// Sets a cache's bytes; returns false when no cache has that id.
    ///
    /// # Panics
    /// As [`CacheRegistry::upsert`].
    pub fn set_bytes(&mut self, id: &str, bytes: u64) -> bool {
        let others = self.others_bytes(id);
        let total = others.checked_add(bytes);
        let found = self.update(id, |entry| entry.bytes = bytes).is_some();
        if found {
            self.total_bytes = total.expect("the caches hold at most u64::MAX bytes in all");
        }
        found
    }

    /// Bytes held by every cache but `id`: a new size `bytes` for `id` fits when
    /// `others_bytes(id).checked_add(bytes)` is `Some`.
    pub fn others_bytes(&self, id: &str) -> u64 {
        self.total_bytes - self.get(id).map_or(0, |c| c.bytes)
    }

    /// Counts one access at `t_ms`; returns false when no cache has that id.
    pub fn touch(&mut self, id: &str, t_ms: u64) -> bool {
        self.update(id, |entry| {
            entry.access_count = entry.access_count.saturating_add(1);
            entry.last_access_ms = entry.last_access_ms.max(t_ms);
        })
        .is_some()
    }

    /// Takes `freed` bytes off a cache (at most what it holds); returns what was taken off.
    pub fn subtract(&mut self, id: &str, freed: u64) -> u64 {
        let taken = self.update(id, |entry| {
            let taken = freed.min(entry.bytes);
            entry.bytes -= taken;
            taken
        });
        let taken = taken.unwrap_or(0);
        self.total_bytes -= taken;
        taken
    }

    /// The cache with this id.
    pub fn get(&self, id: &str) -> Option<&CacheEntry> {
        let position = *self.positions.get(id)?;
        self.entries.get(position as usize)
    }

    /// Every cache, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = &CacheEntry> {
        self.iter_with_type_index().map(|(entry, _)| entry)
    }

    /// Every cache with the index of its type in [`CacheRegistry::types`], ordered by id.
    pub fn iter_with_type_index(&self) -> impl Iterator<Item = (&CacheEntry, usize)> {
        self.positions.values().map(|&position| {
            let position = position as usize;
            (
                &self.entries[position],
                self.hot[position].type_index as usize,
            )
        })
    }

    /// Every cache and its hot copy, in the dense order planning reads them: not ordered
    /// by id, and changed by removals.
    pub(crate) fn dense(&self) -> (&[CacheEntry], &[Hot]) {
        (&self.entries, &self.hot)
    }

    /// Every cache type ever registered, by type index.
    pub fn types(&self) -> &[String] {
        &self.types
    }

    /// Number of caches.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no cache is registered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes held by all caches.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// Bytes, count and average by cache type.
    ///
    /// ```
    /// use mempressure_core::{CacheEntry, CacheRegistry};
    ///
    /// let mut caches = CacheRegistry::default();
    /// caches.upsert(CacheEntry::new("a", "frame_cache", 100, 0));
    /// caches.upsert(CacheEntry::new("b", "frame_cache", 50, 0));
    /// let by_type = caches.breakdown_by_type();
    /// assert_eq!(by_type["frame_cache"].average_bytes, 75);
    /// ```
    pub fn breakdown_by_type(&self) -> BTreeMap<String, TypeBreakdown> {
        let mut by_index = vec![TypeBreakdown::default(); self.types.len()];
        for hot in &self.hot {
            let breakdown = &mut by_index[hot.type_index as usize];
            breakdown.bytes += hot.bytes;
            breakdown.count += 1;
        }

        let mut out = BTreeMap::new();
        for (name, mut breakdown) in self.types.iter().zip(by_index) {
            if let Some(average) = breakdown.bytes.checked_div(breakdown.count) {
                breakdown.average_bytes = average;
                out.insert(name.clone(), breakdown);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_follows_every_change() {
        let mut caches = CacheRegistry::default();
        caches.upsert(CacheEntry::new("a", "t", 100, 0));
        caches.upsert(CacheEntry::new("b", "t", 50, 0));
        caches.upsert(CacheEntry::new("a", "t", 70, 0));
        assert_eq!(caches.total_bytes(), 120);

        assert!(caches.set_bytes("b", 10));
        assert!(!caches.set_bytes("zzz", 10));
        assert_eq!(caches.total_bytes(), 80);

        assert_eq!(caches.subtract("a", 1_000), 70);
        assert_eq!(caches.total_bytes(), 10);

        caches.remove("b");
        assert_eq!((caches.total_bytes(), caches.len()), (0, 1));
    }

    #[test]
    fn removal_moves_the_last_cache_and_keeps_every_id_found() {
        let mut caches = CacheRegistry::default();
        for (i, id) in ["d", "a", "c", "b"].iter().enumerate() {
            caches.upsert(CacheEntry::new(id, "t", i as u64 + 1, 0));
        }
        assert_eq!(caches.remove("a").map(|c| c.bytes), Some(2));
        assert!(caches.remove("a").is_none());

        // "b" moved into the hole; every change still reaches the right cache.
        assert!(caches.set_bytes("b", 40));
        assert!(caches.touch("b", 9));
        assert_eq!(caches.subtract("d", 1), 1);
        let all: Vec<(&str, u64)> = caches.iter().map(|c| (c.id.as_str(), c.bytes)).collect();
        assert_eq!(all, [("b", 40), ("c", 3), ("d", 0)]);
        assert_eq!(caches.total_bytes(), 43);

        // The hot copies planning reads follow their entries.
        let (entries, hot) = caches.dense();
        for (entry, hot) in entries.iter().zip(hot) {
            assert_eq!(
                (entry.bytes, entry.access_count, entry.last_access_ms),
                (hot.bytes, hot.access_count, hot.last_access_ms)
            );
        }
    }

    #[test]
    fn registries_with_the_same_caches_are_equal_in_any_order() {
        let (mut one, mut other) = (CacheRegistry::default(), CacheRegistry::default());
        one.upsert(CacheEntry::new("a", "x", 1, 0));
        one.upsert(CacheEntry::new("b", "y", 2, 0));
        other.upsert(CacheEntry::new("b", "y", 2, 0));
        other.upsert(CacheEntry::new("a", "x", 1, 0));
        assert_eq!(one, other);

        other.set_bytes("a", 5);
        assert_ne!(one, other);
    }

    #[test]
    fn touch_counts_and_moves_forward_only() {
        let mut caches = CacheRegistry::default();
        caches.upsert(CacheEntry::new("a", "t", 1, 10));
        caches.touch("a", 50);
        caches.touch("a", 20);
        let a = caches.get("a").unwrap();
        assert_eq!((a.access_count, a.last_access_ms), (2, 50));
    }
}
