//! A frontend's captures for its log lines: `capture request header` / `capture response
//! header` (`%hr`, `%hs`: the last occurrence of each header, cut to its length, encoded as
//! HAProxy encodes captured headers), the slots `declare capture` and `http-request capture
//! ... len` add (filled by capture rules), and `capture cookie` (`%CC`, `%CS`), which the
//! cookie processing fills.

use super::parse::Head;
use crate::engine::persist::cookie::Capture;
use crate::ir::types::Proxy;

/// One capture slot: the header it takes (none for a declared slot) and its length.
pub struct Slot {
    name: Option<Vec<u8>>,
    len: usize,
}

/// A frontend's captures, in declaration order.
#[derive(Default)]
pub struct Captures {
    pub req: Vec<Slot>,
    pub resp: Vec<Slot>,
    pub cookie: Option<Capture>,
}

impl Captures {
    pub fn build(p: &Proxy) -> Captures {
        let slot = |c: &crate::ir::types::CaptureSlot| {
            (c.span.line, Slot { name: c.header.as_ref().map(|h| h.as_bytes().to_vec()), len: c.len.max(0) as usize })
        };
        // `http-request capture ... len` rules add request slots too, in line order.
        let mut req: Vec<(u32, Slot)> = p.captures.iter().filter(|c| c.request).map(slot).collect();
        for r in &p.http_request {
            if let crate::ir::rules::Action::Capture { len: Some(len), response: false, .. } = r.action {
                req.push((r.span.line, Slot { name: None, len }));
            }
        }
        req.sort_by_key(|(line, _)| *line);
        Captures {
            req: req.into_iter().map(|(_, s)| s).collect(),
            resp: p.captures.iter().filter(|c| !c.request).map(|c| slot(c).1).collect(),
            cookie: p.capture_cookie.as_ref().map(|(name, len)| Capture::new(name, *len)),
        }
    }

    /// Put what capture rules took into the log's slots (cut to the slot's length).
    pub fn apply_rules(&self, taken: &[(bool, usize, Vec<u8>)], req: &mut [String], resp: &mut [String]) {
        for (response, idx, v) in taken {
            let (slots, out) = if *response { (&self.resp, &mut *resp) } else { (&self.req, &mut *req) };
            if let (Some(s), Some(o)) = (slots.get(*idx), out.get_mut(*idx)) {
                *o = crate::log::format::hdr_encode(&v[..v.len().min(s.len)]);
            }
        }
    }
}

/// The values of `slots` in a head: each header's last occurrence, cut to the slot's length
/// and encoded for the log; empty when absent.
pub fn headers(slots: &[Slot], head: &Head, buf: &[u8]) -> Vec<String> {
    slots
        .iter()
        .map(|s| {
            let Some(name) = &s.name else { return String::new() };
            let last = head.headers.iter().rev().find(|h| buf[h.name.clone()].eq_ignore_ascii_case(name));
            match last {
                Some(h) => {
                    let v = &buf[h.value.clone()];
                    crate::log::format::hdr_encode(&v[..v.len().min(s.len)])
                }
                None => String::new(),
            }
        })
        .collect()
}

/// Empty slots, for a message that never came.
pub fn empty(slots: &[Slot]) -> Vec<String> {
    vec![String::new(); slots.len()]
}
