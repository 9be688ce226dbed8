//! The path the engine takes: a checked configuration, `ir::validate::proxy_conditions`, then
//! evaluation of each rule's condition against a request.

use std::net::SocketAddr;

use crate::acl::SampleSource;

struct Req {
    path: &'static [u8],
    queue: i64,
    s2_up: bool,
}

impl SampleSource for Req {
    fn uri(&self) -> Option<&[u8]> {
        Some(self.path)
    }
    fn src(&self) -> Option<SocketAddr> {
        Some("192.168.1.10:5000".parse().unwrap())
    }
    fn avg_queue(&self, backend: &str) -> Option<i64> {
        (backend == "app").then_some(self.queue)
    }
    fn srv_is_up(&self, backend: &str, server: &str) -> Option<bool> {
        (backend == "spill" && server == "s2").then_some(self.s2_up)
    }
    fn nbsrv(&self, backend: &str) -> Option<i64> {
        (backend == "app").then_some(2)
    }
}

const CFG: &str = "\
defaults
  mode http
  timeout client 1s
  timeout server 1s
  timeout connect 1s
frontend fe
  bind 127.0.0.1:8080
  acl busy avg_queue(app) gt 20
  acl spill_up srv_is_up(spill/s2)
  use_backend spill if busy spill_up
  use_backend static if { path_beg /static } !{ src 10.0.0.0/8 }
  monitor-uri /health
  monitor fail if { nbsrv(app) lt 1 }
  default_backend app
backend app
  server s1 127.0.0.1:8001
backend spill
  server s2 127.0.0.1:8002
backend static
  server s3 127.0.0.1:8003
";

#[test]
fn rules_evaluate_from_a_checked_configuration() {
    let dir = std::env::temp_dir().join(format!("haproxide-acl-engine-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("howto.cfg");
    std::fs::write(&path, CFG).unwrap();
    let out = crate::check::check_files(&[path.display().to_string()], &Default::default());
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.exit_code, 0, "{:?}", out.diags);
    let cfg = out.config.unwrap();
    let fe = cfg.proxy("fe").unwrap();
    let conds = crate::ir::validate::proxy_conditions(&cfg, fe);
    assert!(conds.errors.is_empty(), "{:?}", conds.errors);
    let spill = conds.use_backend[0].as_ref().unwrap();
    let stat = conds.use_backend[1].as_ref().unwrap();
    let fail = conds.monitor_fail[0].as_ref().unwrap();
    for c in [spill, stat, fail] {
        assert!(crate::acl::unsupported(c).is_empty());
    }
    let req = |path, queue, s2_up| Req { path, queue, s2_up };
    assert!(!spill.eval(&req(b"/", 5, true)));
    assert!(spill.eval(&req(b"/", 21, true)));
    assert!(!spill.eval(&req(b"/", 21, false)));
    assert!(stat.eval(&req(b"/static/a.css", 0, true)));
    assert!(!stat.eval(&req(b"/api", 0, true)));
    assert!(!fail.eval(&req(b"/health", 0, true)));
}
