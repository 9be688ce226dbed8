//! The hash-based algorithms (backend.c's `get_server_sh/uh/ph/hh/rch/expr`): `balance source`,
//! `uri`, `url_param`, `hdr(<name>)`, `rdp-cookie` and `hash <expr>`, over a map-based table or a
//! consistent-hashing ring (`hash-type`). A request without a key (no header, no parameter...)
//! falls back to round robin over the same structure. With a single usable server HAProxy does
//! not hash at all (the hash is 0), which only matters for what "no key" means: `hdr` then
//! does not fall back.

use super::chash::Chash;
use super::hash::{self, Hasher};
use super::map::Map;
use super::{Balancer, ConnView, LbServer, PickRequest, Pool};
use crate::ir::types::Balance;

/// What the algorithm hashes, taken from [`PickRequest::hash_key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// The client address (4 or 16 bytes).
    Source,
    /// The request target, cut by the `uri` options.
    Uri { whole: bool, len: Option<u32>, depth: Option<u32>, path_only: bool },
    /// The request target, hashing one query-string parameter's value.
    UrlParam { name: String },
    /// A header's raw value; with `use_domain_only`, the label before the last dot.
    Hdr { domain_only: bool },
    /// An RDP cookie value.
    Rdp,
    /// The bytes of a sample expression.
    Expr,
}

impl Key {
    pub fn for_balance(b: &Balance) -> Key {
        match b {
            Balance::Source => Key::Source,
            Balance::Uri { whole, len, depth, path_only } => {
                Key::Uri { whole: *whole, len: *len, depth: *depth, path_only: *path_only }
            }
            Balance::UrlParam { name, .. } => Key::UrlParam { name: name.clone() },
            Balance::Hdr { use_domain_only, .. } => Key::Hdr { domain_only: *use_domain_only },
            Balance::Rdp { .. } => Key::Rdp,
            _ => Key::Expr,
        }
    }
}

enum Lookup {
    Map(Map),
    Chash(Chash),
}

pub struct Hashing {
    key: Key,
    hasher: Hasher,
    lookup: Lookup,
}

impl Hashing {
    pub fn new(
        key: Key,
        hasher: Hasher,
        consistent: bool,
        servers: &[LbServer],
        ids: &[u32],
        allbackups: bool,
    ) -> Hashing {
        let lookup = if consistent {
            Lookup::Chash(Chash::new(servers, ids, allbackups))
        } else {
            Lookup::Map(Map::new(servers, allbackups))
        };
        Hashing { key, hasher, lookup }
    }

    fn pool(&self) -> &Pool {
        match &self.lookup {
            Lookup::Map(m) => &m.pool,
            Lookup::Chash(c) => &c.pool,
        }
    }

    /// The hash of this request, or None to fall back to round robin.
    fn hash(&self, key: Option<&[u8]>) -> Option<u32> {
        let single = self.pool().tot_used == 1;
        let h = &self.hasher;
        match &self.key {
            Key::Source => {
                let v = hash::source(key?)?;
                Some(if single { 0 } else { h.avalanche(v) })
            }
            Key::Uri { whole, len, depth, path_only } => {
                let uri = key?;
                Some(if single { 0 } else { h.hash(hash::uri_part(uri, *whole, *len, *depth, *path_only)) })
            }
            Key::UrlParam { name } => Some(h.hash(hash::url_param(key?, name.as_bytes())?)),
            Key::Hdr { domain_only } => {
                if single {
                    return Some(0);
                }
                let v = hash::first_header_value(key?);
                if v.is_empty() {
                    return None;
                }
                Some(h.hash(if *domain_only { hash::domain_only(v) } else { v }))
            }
            Key::Rdp => {
                let v = key.filter(|k| !k.is_empty())?;
                Some(if single { 0 } else { h.hash(v) })
            }
            Key::Expr => {
                if single {
                    Some(0)
                } else {
                    key.map(|k| h.hash(k))
                }
            }
        }
    }
}

impl Balancer for Hashing {
    fn pick(&mut self, req: &PickRequest, conns: &dyn ConnView) -> Option<usize> {
        if self.pool().tot_weight == 0 {
            return None;
        }
        let hash = self.hash(req.hash_key);
        let by_hash = hash.and_then(|h| match &self.lookup {
            Lookup::Map(m) => m.by_hash(h),
            Lookup::Chash(c) => c.by_hash(h, req.avoid),
        });
        by_hash.or_else(|| match &mut self.lookup {
            Lookup::Map(m) => m.rr(req.avoid, conns),
            Lookup::Chash(c) => c.next_rr(req.avoid, conns),
        })
    }

    fn update(&mut self, idx: usize, srv: LbServer) {
        match &mut self.lookup {
            Lookup::Map(m) => m.update(idx, srv),
            Lookup::Chash(c) => c.update(idx, srv),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use crate::ir::types::{HashFunction, HashType};

    fn hashing(key: Key, consistent: bool, n: usize) -> Hashing {
        let servers: Vec<_> = (0..n).map(|_| srv(1)).collect();
        let ids: Vec<u32> = (1..=n as u32).collect();
        Hashing::new(key, Hasher::new(&HashType::default()), consistent, &servers, &ids, false)
    }

    #[test]
    fn same_key_same_server_and_fallback() {
        for consistent in [false, true] {
            let mut h = hashing(Key::UrlParam { name: "id".into() }, consistent, 4);
            let c = Conns::default();
            let req = |k: &'static [u8]| PickRequest { hash_key: Some(k), avoid: None };
            let a = h.pick(&req(b"/x?id=42"), &c);
            for _ in 0..5 {
                assert_eq!(h.pick(&req(b"/y?a=1&id=42"), &c), a);
            }
            // No parameter: round robin, which moves.
            let rr: Vec<_> = (0..8).map(|_| h.pick(&req(b"/x"), &c).unwrap()).collect();
            assert!(rr.iter().any(|&s| s != rr[0]));
        }
    }

    #[test]
    fn map_source_is_modulo() {
        let mut h = hashing(Key::Source, false, 4);
        let c = Conns::default();
        let key = [10u8, 0, 0, 7];
        let req = PickRequest { hash_key: Some(&key), avoid: None };
        assert_eq!(h.pick(&req, &c), Some((0x0a000007u32 % 4) as usize));
        let mut h2 = Hashing::new(
            Key::Source,
            Hasher::new(&HashType { function: HashFunction::Djb2, ..Default::default() }),
            false,
            &[srv(1), srv(1), srv(1), srv(1)],
            &[1, 2, 3, 4],
            false,
        );
        // The hash function does not apply to source addresses.
        assert_eq!(h2.pick(&req, &c), Some(3));
    }
}
