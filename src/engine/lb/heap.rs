//! An indexed binary min-heap of servers, ordered by `(key, seq)`: the stand-in for HAProxy's
//! ebtrees. `seq` is an insertion counter, so servers with equal keys come out in insertion order,
//! which is how ebtrees order duplicates. All storage is sized for every server up front, so
//! inserting, removing and peeking never allocate.

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone)]
pub struct Heap {
    /// Server indexes in heap order.
    heap: Vec<u32>,
    /// Position of each server in `heap`, or NONE.
    pos: Vec<u32>,
    /// Ordering key of each server while it is in the heap.
    keys: Vec<(u32, u64)>,
}

impl Heap {
    pub fn new(n: usize) -> Heap {
        Heap { heap: Vec::with_capacity(n), pos: vec![NONE; n], keys: vec![(0, 0); n] }
    }

    pub fn contains(&self, srv: usize) -> bool {
        self.pos[srv] != NONE
    }

    /// The server with the smallest `(key, seq)`.
    pub fn first(&self) -> Option<usize> {
        self.heap.first().map(|&s| s as usize)
    }

    pub fn key(&self, srv: usize) -> u32 {
        self.keys[srv].0
    }

    /// Insert a server that is not in the heap.
    pub fn insert(&mut self, srv: usize, key: u32, seq: u64) {
        debug_assert!(!self.contains(srv));
        self.keys[srv] = (key, seq);
        self.heap.push(srv as u32);
        let i = self.heap.len() - 1;
        self.pos[srv] = i as u32;
        self.up(i);
    }

    /// Remove a server if present; returns whether it was.
    pub fn remove(&mut self, srv: usize) -> bool {
        let i = self.pos[srv];
        if i == NONE {
            return false;
        }
        let i = i as usize;
        let last = self.heap.len() - 1;
        self.swap(i, last);
        self.heap.pop();
        self.pos[srv] = NONE;
        if i < self.heap.len() {
            self.down(i);
            self.up(i);
        }
        true
    }

    /// Remove and return the smallest server with its ordering key.
    pub fn pop(&mut self) -> Option<(usize, (u32, u64))> {
        let s = self.first()?;
        let k = self.keys[s];
        self.remove(s);
        Some((s, k))
    }

    fn less(&self, a: usize, b: usize) -> bool {
        self.keys[self.heap[a] as usize] < self.keys[self.heap[b] as usize]
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        self.pos[self.heap[a] as usize] = a as u32;
        self.pos[self.heap[b] as usize] = b as u32;
    }

    fn up(&mut self, mut i: usize) {
        while i > 0 {
            let p = (i - 1) / 2;
            if !self.less(i, p) {
                break;
            }
            self.swap(i, p);
            i = p;
        }
    }

    fn down(&mut self, mut i: usize) {
        loop {
            let l = 2 * i + 1;
            if l >= self.heap.len() {
                break;
            }
            let r = l + 1;
            let c = if r < self.heap.len() && self.less(r, l) { r } else { l };
            if !self.less(c, i) {
                break;
            }
            self.swap(i, c);
            i = c;
        }
    }
}

/// Walks a heap in order without losing anything: servers are popped one by one and put back,
/// with their original order, when the walk ends. `scratch` must have room for every server so
/// the walk never allocates.
pub struct Walk<'a> {
    heap: &'a mut Heap,
    scratch: &'a mut Vec<(usize, (u32, u64))>,
}

impl<'a> Walk<'a> {
    pub fn new(heap: &'a mut Heap, scratch: &'a mut Vec<(usize, (u32, u64))>) -> Walk<'a> {
        scratch.clear();
        Walk { heap, scratch }
    }
}

impl Iterator for Walk<'_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        let (s, k) = self.heap.pop()?;
        self.scratch.push((s, k));
        Some(s)
    }
}

impl Drop for Walk<'_> {
    fn drop(&mut self) {
        for &(s, (k, q)) in self.scratch.iter() {
            self.heap.insert(s, k, q);
        }
        self.scratch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_key_then_insertion() {
        let mut h = Heap::new(5);
        h.insert(3, 10, 1);
        h.insert(1, 5, 2);
        h.insert(4, 10, 0);
        h.insert(0, 5, 3);
        let mut out = vec![];
        while let Some((s, _)) = h.pop() {
            out.push(s);
        }
        assert_eq!(out, vec![1, 0, 4, 3]);
    }

    #[test]
    fn remove_anywhere() {
        let mut h = Heap::new(8);
        for s in 0..8 {
            h.insert(s, (s as u32 * 7) % 5, s as u64);
        }
        assert!(h.remove(3));
        assert!(!h.remove(3));
        assert!(h.remove(0));
        let mut out = vec![];
        while let Some((s, k)) = h.pop() {
            out.push((k.0, s));
        }
        let mut sorted = out.clone();
        sorted.sort();
        assert_eq!(out, sorted);
        assert_eq!(out.len(), 6);
    }

    #[test]
    fn walk_restores() {
        let mut h = Heap::new(4);
        let mut scratch = Vec::with_capacity(4);
        for s in 0..4 {
            h.insert(s, 4 - s as u32, s as u64);
        }
        let seen: Vec<usize> = Walk::new(&mut h, &mut scratch).take(2).collect();
        assert_eq!(seen, vec![3, 2]);
        assert_eq!(h.first(), Some(3));
        assert!((0..4).all(|s| h.contains(s)));
        assert_eq!(scratch.capacity(), 4);
    }
}
