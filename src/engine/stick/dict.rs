//! The `server_key` dictionary (HAProxy's `server_key_dict`): server names or addresses are
//! interned once, and entries store a small index into it, so storing a server key on the
//! traffic path copies a word instead of a string.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use parking_lot::RwLock;

#[derive(Default)]
struct Dict {
    values: Vec<Arc<str>>,
    index: HashMap<Arc<str>, u32>,
}

static DICT: LazyLock<RwLock<Dict>> = LazyLock::new(Default::default);

/// The index of `s` (from 1; 0 means "no key"), adding it when new.
pub fn intern(s: &str) -> u32 {
    if let Some(&i) = DICT.read().index.get(s) {
        return i;
    }
    let mut d = DICT.write();
    if let Some(&i) = d.index.get(s) {
        return i;
    }
    let v: Arc<str> = Arc::from(s);
    d.values.push(v.clone());
    let i = d.values.len() as u32;
    d.index.insert(v, i);
    i
}

/// The string at index `i`, if any.
pub fn get(i: u32) -> Option<Arc<str>> {
    if i == 0 {
        return None;
    }
    DICT.read().values.get(i as usize - 1).cloned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn interning_is_stable() {
        let a = super::intern("dict-test-s1");
        let b = super::intern("dict-test-s2");
        assert_ne!(a, b);
        assert_eq!(super::intern("dict-test-s1"), a);
        assert_eq!(super::get(a).as_deref(), Some("dict-test-s1"));
        assert_eq!(super::get(0), None);
    }
}
