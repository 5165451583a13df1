//! The caches the program registered: their bytes, type and how they are used.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
    /// Unique id, chosen by the program.
    pub id: String,
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
            id: id.to_string(),
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

/// A registered cache with the index of its type in the registry's type table.
#[derive(Debug, Clone, PartialEq)]
struct Slot {
    entry: CacheEntry,
    type_index: u32,
}

/// All registered caches, ordered by id so every walk over them is deterministic.
///
/// Cache types are interned: each cache keeps the index of its type in a small table, so
/// scoring a million caches never reads their type strings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CacheRegistry {
    entries: BTreeMap<String, Slot>,
    types: Vec<String>,
    type_indices: BTreeMap<String, u32>,
    total_bytes: u64,
}

impl CacheRegistry {
    /// Adds a cache, or replaces the one with the same id.
    ///
    /// # Panics
    /// When the caches would hold more than `u64::MAX` bytes in all; check with
    /// [`CacheRegistry::others_bytes`] first ([`crate::PressureMonitor::register_cache`]
    /// does, and refuses such a size).
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
        let slot = Slot { entry, type_index };
        self.entries.insert(slot.entry.id.clone(), slot);
    }

    /// Removes a cache; returns it if it was registered.
    pub fn remove(&mut self, id: &str) -> Option<CacheEntry> {
        let removed = self.entries.remove(id)?.entry;
        self.total_bytes -= removed.bytes;
        Some(removed)
    }

    /// Sets a cache's bytes; returns false when no cache has that id.
    ///
    /// # Panics
    /// As [`CacheRegistry::upsert`].
    pub fn set_bytes(&mut self, id: &str, bytes: u64) -> bool {
        let others = self.others_bytes(id);
        let Some(slot) = self.entries.get_mut(id) else {
            return false;
        };
        self.total_bytes = others
            .checked_add(bytes)
            .expect("the caches hold at most u64::MAX bytes in all");
        slot.entry.bytes = bytes;
        true
    }

    /// Bytes held by every cache but `id`: a new size `bytes` for `id` fits when
    /// `others_bytes(id).checked_add(bytes)` is `Some`.
    pub fn others_bytes(&self, id: &str) -> u64 {
        self.total_bytes - self.get(id).map_or(0, |c| c.bytes)
    }

    /// Counts one access at `t_ms`; returns false when no cache has that id.
    pub fn touch(&mut self, id: &str, t_ms: u64) -> bool {
        let Some(slot) = self.entries.get_mut(id) else {
            return false;
        };
        slot.entry.access_count = slot.entry.access_count.saturating_add(1);
        slot.entry.last_access_ms = slot.entry.last_access_ms.max(t_ms);
        true
    }

    /// Takes `freed` bytes off a cache (at most what it holds); returns what was taken off.
    pub fn subtract(&mut self, id: &str, freed: u64) -> u64 {
        let Some(slot) = self.entries.get_mut(id) else {
            return 0;
        };
        let taken = freed.min(slot.entry.bytes);
        slot.entry.bytes -= taken;
        self.total_bytes -= taken;
        taken
    }

    /// The cache with this id.
    pub fn get(&self, id: &str) -> Option<&CacheEntry> {
        self.entries.get(id).map(|slot| &slot.entry)
    }

    /// Every cache, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = &CacheEntry> {
        self.entries.values().map(|slot| &slot.entry)
    }

    /// Every cache with the index of its type in [`CacheRegistry::types`], ordered by id.
    pub fn iter_with_type_index(&self) -> impl Iterator<Item = (&CacheEntry, usize)> {
        self.entries
            .values()
            .map(|slot| (&slot.entry, slot.type_index as usize))
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
        for slot in self.entries.values() {
            let breakdown = &mut by_index[slot.type_index as usize];
            breakdown.bytes += slot.entry.bytes;
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
    fn touch_counts_and_moves_forward_only() {
        let mut caches = CacheRegistry::default();
        caches.upsert(CacheEntry::new("a", "t", 1, 10));
        caches.touch("a", 50);
        caches.touch("a", 20);
        let a = caches.get("a").unwrap();
        assert_eq!((a.access_count, a.last_access_ms), (2, 50));
    }
}
