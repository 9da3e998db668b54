//! Tuning of the C allocator the binary runs on (glibc).
//!
//! Each Argon2id check allocates and frees 19 MiB. glibc serves blocks that large with
//! `mmap` at first, but every such `free` raises its dynamic mmap threshold, after which the
//! blocks come from per-thread arenas that keep them once freed: measured, the resident set
//! grew to 350 MiB under 50 concurrent logins. A fixed threshold keeps them on `mmap`, so
//! every buffer goes back to the system when its check ends (58 MiB peak, same load).

/// Blocks from this size up are mapped and unmapped on their own.
const MMAP_THRESHOLD_BYTES: i32 = 1024 * 1024;

/// Call once, early in `main`.
#[allow(unsafe_code)] // the crate's only unsafe block: one libc call, no pointers
pub fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tuning parameter of glibc's allocator; it is thread-safe
    // and takes plain integers. A zero return (refused) leaves the default behaviour.
    unsafe {
        if libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 0 {
            tracing::warn!("mallopt(M_MMAP_THRESHOLD) refused: memory may grow under logins");
        }
    }
}
