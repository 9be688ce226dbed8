//! `uuid()`: random version-4 UUIDs in HAProxy's text form.

/// A random (version 4) UUID in HAProxy's text form (`uuid()`).
pub fn uuid() -> String {
    use std::hash::{BuildHasher, Hasher};
    // SipHash under the process's random keys, over a counter: unpredictable enough for IDs,
    // without a dependency or a lock.
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    thread_local! {
        static KEYS: std::collections::hash_map::RandomState = std::collections::hash_map::RandomState::new();
    }
    let draw = || {
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        KEYS.with(|k| {
            let mut h = k.build_hasher();
            h.write_u64(n);
            h.finish()
        })
    };
    let (a, b) = (draw(), draw());
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        (a & 0x0fff) | 0x4000,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::uuid;

    #[test]
    fn uuids_are_version_4_and_distinct() {
        let a = uuid();
        let b = uuid();
        assert_ne!(a, b);
        for u in [&a, &b] {
            let parts: Vec<&str> = u.split('-').collect();
            assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), vec![8, 4, 4, 4, 12], "{u}");
            assert!(parts[2].starts_with('4'), "{u}");
            assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'), "{u}");
            assert!(u.bytes().all(|c| c == b'-' || c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
        }
    }
}
