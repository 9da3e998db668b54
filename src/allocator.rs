//! Tuning of the C allocator the binary runs on (glibc).
//!
//! Argon2id needs 19 MiB of working memory. Password checks reuse theirs
//! (`auth::password`), but hashing a new password still allocates and frees it. glibc
//! serves blocks that large with `mmap` at first, but every such `free` raises its dynamic
//! mmap threshold, after which the blocks come from per-thread arenas that keep them once
//! freed: measured, the resident set grew to 350 MiB under 50 concurrent logins when checks
//! allocated too. A fixed threshold keeps such blocks on `mmap`, so each goes back to the
//! system when it is freed.

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
