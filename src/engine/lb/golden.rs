//! Replays every pick sequence recorded from HAProxy 2.6 (testdata/golden/2.6/lb, written by
//! scripts/record-golden-lb) through a real [`Backend`]: the configuration goes through the
//! config parser and IR, state changes through `Backend::apply` as the runtime API sends them,
//! and picks through `Backend::acquire` / `release` the way the proxy path calls them, including
//! redispatch after a failed connection. Every pick must name the server HAProxy chose; for
//! `balance random` the counts must match HAProxy's within statistical bounds.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::config::diag::Diags;
use crate::config::parse::{self, Source};
use crate::engine::backend::{Acquired, Backend, Server};
use crate::engine::lb::{hash, PickRequest};
use crate::engine::state::{admin, Cause, ServerOp};
use crate::ir::types::Balance;

#[derive(Debug)]
struct Golden {
    name: String,
    backend: Vec<String>,
    /// Server name, its config words, and whether it points at a closed port.
    servers: Vec<(String, String, bool)>,
    events: Vec<(usize, String)>,
}

fn parse_golden(path: &Path) -> Golden {
    let text = std::fs::read_to_string(path).unwrap();
    let mut g = Golden {
        name: path.file_stem().unwrap().to_string_lossy().into_owned(),
        backend: vec![],
        servers: vec![],
        events: vec![],
    };
    let mut section = "";
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() || line.starts_with("mode ") {
            continue;
        }
        if let Some(s) = line.strip_suffix(':').filter(|s| !s.contains(' ')) {
            section = s;
            continue;
        }
        match section {
            "backend" => g.backend.push(line.trim().to_string()),
            "servers" => {
                let words: Vec<&str> = line.split_whitespace().collect();
                let dead = words.contains(&"dead");
                let opts: Vec<&str> = words[1..].iter().copied().filter(|w| *w != "dead").collect();
                g.servers.push((words[0].to_string(), opts.join(" "), dead));
            }
            "events" => g.events.push((n + 1, line.to_string())),
            _ => panic!("{}: line {} outside a section", g.name, n + 1),
        }
    }
    g
}

fn build_backend(g: &Golden) -> Backend {
    let mut cfg = String::from("defaults\n    mode http\nbackend be\n");
    for l in &g.backend {
        cfg += &format!("    {l}\n");
    }
    for (i, (name, opts, _)) in g.servers.iter().enumerate() {
        cfg += &format!("    server {name} 127.0.0.1:{} {opts}\n", 10000 + i);
    }
    let src = Source { name: "golden.cfg".into(), text: cfg.into_bytes() };
    let ast = parse::parse(&[src]);
    let mut diags = Diags::default();
    let lowered = crate::ir::lower::lower(&ast, &mut diags);
    assert!(!diags.has_alerts(), "{}: {diags:?}", g.name);
    let p = lowered.config.proxy("be").unwrap().clone();
    Backend::new(0, 1, Arc::new(p), 0)
}

/// One request's inputs, from `src=`, `uri=` and `hdr=` words.
struct Request {
    src: Vec<u8>,
    uri: String,
    hdrs: Vec<(String, String)>,
}

impl Request {
    fn parse(words: &[&str]) -> Request {
        let mut r = Request { src: vec![127, 0, 0, 1], uri: "/".into(), hdrs: vec![] };
        for w in words {
            let (k, v) = w.split_once('=').unwrap();
            match k {
                "src" => {
                    r.src = match v.parse::<IpAddr>().unwrap() {
                        IpAddr::V4(a) => a.octets().to_vec(),
                        IpAddr::V6(a) => a.octets().to_vec(),
                    }
                }
                "uri" => r.uri = v.to_string(),
                "hdr" => {
                    let (n, val) = v.split_once(':').unwrap();
                    r.hdrs.push((n.to_string(), val.to_string()));
                }
                _ => panic!("unknown request word {w}"),
            }
        }
        // The recorder sends a Host header unless the scenario sets one.
        if !r.hdrs.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            r.hdrs.push(("Host".into(), "lb.test".into()));
        }
        r
    }

    fn hash_key<'a>(&'a self, balance: &Balance) -> Option<&'a [u8]> {
        let header = |name: &str| -> Option<&'a [u8]> {
            self.hdrs.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_bytes())
        };
        hash::hash_input(balance, &self.src, Some(self.uri.as_bytes()), &header)
    }
}

struct Replay {
    be: Backend,
    dead: Vec<bool>,
    rt: tokio::runtime::Runtime,
}

impl Replay {
    fn acquire(&self, req: &PickRequest) -> Option<Arc<Server>> {
        match self.rt.block_on(self.be.acquire(req, Duration::ZERO, 0)) {
            Acquired::Server(s) => Some(s),
            _ => None,
        }
    }

    /// A request as the proxy path serves it: a failed connection to a dead server is
    /// redispatched once, avoiding that server (`retries 1` + `option redispatch`).
    fn request(&self, r: &Request) -> Option<Arc<Server>> {
        let key = r.hash_key(&self.be.spec.balance);
        let mut req = PickRequest { hash_key: key, avoid: None };
        let mut tries = 0;
        loop {
            let s = self.acquire(&req)?;
            if !self.dead[s.idx] {
                return Some(s);
            }
            self.be.release(&s);
            tries += 1;
            if tries > 1 || self.be.spec.redispatch.is_none() {
                return None;
            }
            req.avoid = Some(s.idx);
        }
    }

    fn cli(&self, cmd: &str) {
        let w: Vec<&str> = cmd.split_whitespace().collect();
        assert_eq!(&w[..2], &["set", "server"], "unsupported command {cmd}");
        let name = w[2].strip_prefix("be/").unwrap();
        let idx = self.be.server_by_name(name).unwrap().idx;
        let op = match (w[3], w[4]) {
            ("state", "maint") => ServerOp::SetAdmin { set: admin::FMAINT, clear: admin::FDRAIN },
            ("state", "drain") => ServerOp::SetAdmin { set: admin::FDRAIN, clear: admin::FMAINT },
            ("state", "ready") => ServerOp::SetAdmin { set: 0, clear: admin::FMAINT | admin::FDRAIN },
            ("weight", n) => ServerOp::SetWeight(n.parse().unwrap()),
            _ => panic!("unsupported command {cmd}"),
        };
        self.be.apply(idx, &op, Cause::Cli, 0);
    }
}

fn name_of(s: &Option<Arc<Server>>) -> String {
    s.as_ref().map(|s| s.name.clone()).unwrap_or_else(|| "<503>".into())
}

/// Replays one file; returns the mismatches.
fn replay(path: &Path) -> Vec<String> {
    let g = parse_golden(path);
    let be = build_backend(&g);
    let dead = g.servers.iter().map(|s| s.2).collect();
    let random = matches!(be.spec.balance, Balance::Random { .. });
    let rp = Replay { be, dead, rt: tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap() };
    let mut held: Vec<Option<Arc<Server>>> = vec![];
    let mut errors = vec![];
    for (line, ev) in &g.events {
        let (action, expect) = match ev.split_once(" -> ") {
            Some((a, e)) => (a, Some(e)),
            None => (ev.as_str(), None),
        };
        let words: Vec<&str> = action.split_whitespace().collect();
        match words[0] {
            "pick" | "hold" => {
                let expect = expect.unwrap();
                let got = if random && words[0] == "hold" {
                    // Random picks cannot be replayed one by one: load the server HAProxy chose.
                    let s = rp.be.server_by_name(expect).cloned();
                    if let Some(s) = &s {
                        rp.be.take(s);
                    }
                    s
                } else {
                    rp.request(&Request::parse(&words[1..]))
                };
                let name = name_of(&got);
                if !random && name != expect {
                    errors.push(format!("{}:{line}: {action}: HAProxy chose {expect}, we chose {name}", g.name));
                }
                match (words[0], got) {
                    ("hold", s) => held.push(s),
                    (_, Some(s)) => rp.be.release(&s),
                    _ => {}
                }
            }
            "picks" => {
                let n: u32 = words[1].parse().unwrap();
                let r = Request::parse(&words[2..]);
                let mut counts = std::collections::BTreeMap::<String, u32>::new();
                for _ in 0..n {
                    let s = rp.request(&r);
                    *counts.entry(name_of(&s)).or_default() += 1;
                    if let Some(s) = s {
                        rp.be.release(&s);
                    }
                }
                for kv in expect.unwrap().split_whitespace() {
                    let (name, c) = kv.split_once('=').unwrap();
                    let theirs: f64 = c.parse().unwrap();
                    let ours = f64::from(counts.remove(name).unwrap_or(0));
                    // Two binomial samples of the same distribution: allow 6 standard deviations.
                    let p = theirs / f64::from(n);
                    let sigma = (2.0 * f64::from(n) * p * (1.0 - p)).sqrt();
                    if (ours - theirs).abs() > 6.0 * sigma + 10.0 {
                        errors.push(format!("{}:{line}: {name}: HAProxy {theirs}, we {ours}", g.name));
                    }
                }
                if !counts.is_empty() {
                    errors.push(format!("{}:{line}: servers HAProxy never chose: {counts:?}", g.name));
                }
            }
            "release" => {
                let i: usize = words[1].parse().unwrap();
                if let Some(s) = held[i - 1].take() {
                    rp.be.release(&s);
                }
            }
            "cli" => {
                // Commands HAProxy refused (recorded with their reply) change nothing.
                if !action.contains(" => ") {
                    rp.cli(&action[4..]);
                }
            }
            other => panic!("{}:{line}: unknown event {other}", g.name),
        }
    }
    errors
}

fn golden_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/golden/2.6/lb");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files
}

fn replay_group(prefix: &str) {
    let files: Vec<PathBuf> =
        golden_files().into_iter().filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix)).collect();
    assert!(!files.is_empty(), "no golden files for {prefix}");
    let errors: Vec<String> = files.iter().flat_map(|p| replay(p)).collect();
    assert!(errors.is_empty(), "{} mismatches:\n{}", errors.len(), errors.join("\n"));
}

#[test]
fn roundrobin() {
    replay_group("rr_");
}

#[test]
fn static_rr() {
    replay_group("srr_");
}

#[test]
fn leastconn() {
    replay_group("lc_");
}

#[test]
fn first() {
    replay_group("first_");
}

#[test]
fn source() {
    replay_group("src_");
}

#[test]
fn uri() {
    replay_group("uri_");
}

#[test]
fn url_param() {
    replay_group("urlp_");
}

#[test]
fn hdr() {
    replay_group("hdr_");
}

#[test]
fn random() {
    replay_group("random_");
}

#[test]
fn every_file_belongs_to_a_group() {
    let groups = ["rr_", "srr_", "lc_", "first_", "src_", "uri_", "urlp_", "hdr_", "random_"];
    for f in golden_files() {
        let n = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(groups.iter().any(|g| n.starts_with(g)), "{n} is not replayed by any test");
    }
}

/// HAProxy reads `hash-type consistent` without a function as sdbm *with* avalanche
/// (cfgparse-listen.c: "the default hash function is sdbm for map-based and sdbm+avalanche for
/// consistent").
#[test]
fn hash_type_consistent_defaults_to_avalanche() {
    let src = Source { name: "t.cfg".into(), text: b"backend be\n    hash-type consistent\n".to_vec() };
    let mut diags = Diags::default();
    let lowered = crate::ir::lower::lower(&parse::parse(&[src]), &mut diags);
    assert!(lowered.config.proxy("be").unwrap().hash_type.avalanche);
}
