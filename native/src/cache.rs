//! The program's caches, as the monitor sees them.

/// The error a cache returns when it could not evict.
pub type EvictError = Box<dyn std::error::Error + Send + Sync>;

/// A cache that can give memory back.
///
/// The monitor calls [`Cache::bytes`] before each check and [`Cache::evict`] when the
/// eviction plan names this cache. Both are called from the monitor's thread (or the thread
/// calling [`crate::Monitor::check_now`]), never while the monitor holds its lock, so a cache
/// may call back into the monitor (register, touch, remove) from them.
///
/// ```
/// use std::sync::Mutex;
/// use mempressure_native::{Cache, EvictError};
///
/// struct Thumbnails(Mutex<Vec<Vec<u8>>>);
///
/// impl Cache for Thumbnails {
///     fn bytes(&self) -> u64 {
///         self.0.lock().unwrap().iter().map(|t| t.len() as u64).sum()
///     }
///
///     fn evict(&self, bytes: u64) -> Result<u64, EvictError> {
///         let mut thumbs = self.0.lock().unwrap();
///         let mut freed = 0;
///         while freed < bytes {
///             let Some(oldest) = thumbs.first() else { break };
///             freed += oldest.len() as u64;
///             thumbs.remove(0);
///         }
///         Ok(freed)
///     }
/// }
/// ```
pub trait Cache: Send + Sync {
    /// Bytes the cache holds now.
    fn bytes(&self) -> u64;

    /// Frees up to `bytes` (least valuable entries first) and returns what was freed.
    ///
    /// # Errors
    /// Any error the cache hit; the monitor logs it and reports it in the eviction event,
    /// and the other caches are still asked.
    fn evict(&self, bytes: u64) -> Result<u64, EvictError>;
}
