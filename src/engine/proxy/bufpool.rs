//! A per-thread pool of 16 KiB I/O buffers, so that connections hold a buffer only while bytes
//! are moving: an idle keep-alive or freshly accepted connection holds none (HAProxy's buffers
//! are likewise taken from its pools on demand), and taking one back costs no allocation once
//! the pool is warm. Thread-local, so no lock; a buffer taken on one worker thread and given
//! back on another simply changes pools.

use std::cell::RefCell;

use bytes::BytesMut;

/// The size of a buffer (HAProxy's default `tune.bufsize`).
pub const BUF_SIZE: usize = 16 * 1024;
/// Buffers kept per thread; more are freed, so that a burst of connections does not pin its
/// peak memory forever.
const KEEP: usize = 256;

thread_local! {
    static POOL: RefCell<Vec<BytesMut>> = const { RefCell::new(Vec::new()) };
}

/// An empty buffer with room for [`BUF_SIZE`] bytes.
pub fn take() -> BytesMut {
    let mut b = POOL.with(|p| p.borrow_mut().pop()).unwrap_or_default();
    // A pooled buffer that was advanced gets its room back without reallocating.
    b.reserve(BUF_SIZE);
    b
}

/// Give back a buffer whose contents are no longer needed. Leaves `buf` empty with no
/// allocation behind it.
pub fn give(buf: &mut BytesMut) {
    let mut b = std::mem::take(buf);
    b.clear();
    // Buffers that grew for a large head stay out of the pool; tiny ones are not worth it.
    if b.capacity() < BUF_SIZE / 2 || b.capacity() > 4 * BUF_SIZE {
        return;
    }
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < KEEP {
            p.push(b);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_without_reallocating() {
        let mut a = take();
        assert!(a.capacity() >= BUF_SIZE);
        a.extend_from_slice(b"hello");
        let ptr = a.as_ptr();
        give(&mut a);
        assert_eq!(a.capacity(), 0);
        let b = take();
        assert!(b.is_empty());
        assert_eq!(b.as_ptr(), ptr);
    }

    #[test]
    fn oversized_buffers_are_freed() {
        let mut a = BytesMut::with_capacity(8 * BUF_SIZE);
        give(&mut a);
        let b = take();
        assert!(b.capacity() < 8 * BUF_SIZE);
    }
}
