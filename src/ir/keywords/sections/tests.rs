//! One test per section: its lines through the reader, the lowerer and the post-parse checks,
//! compared with HAProxy 2.6.12's messages (recorded with the real binary).

use crate::check::{check_files, CheckOptions};
use crate::config::diag::Severity;

/// Run `text` through `haproxide -c`'s pipeline; return the exit code and the messages.
fn check(text: &str) -> (i32, Vec<(Severity, String)>) {
    let dir =
        std::env::temp_dir().join(format!("hx-sections-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("t.cfg");
    std::fs::write(&path, text).unwrap();
    let out = check_files(&[path.to_string_lossy().into_owned()], &CheckOptions::default());
    let file = path.to_string_lossy().into_owned();
    let msgs = out
        .diags
        .list
        .iter()
        .filter(|d| d.severity != Severity::Diag)
        .filter(|d| !d.msg.starts_with("Error(s) found") && !d.msg.starts_with("Fatal errors"))
        .map(|d| (d.severity, d.headline().replace(&file, "t.cfg")))
        .collect();
    (out.exit_code, msgs)
}

const SK: &str = "defaults\n  mode http\n  timeout connect 5s\n  timeout client 5s\n  timeout server 5s\nfrontend fe\n  bind 127.0.0.1:1\n";

fn with(section: &str) -> String {
    format!("{SK}{section}")
}

fn texts(v: &[(Severity, String)]) -> Vec<&str> {
    v.iter().map(|(_, m)| m.strip_prefix("config : ").unwrap_or(m)).collect()
}

#[test]
fn userlist() {
    let (rc, m) =
        check(&with("userlist ul\n  user u1 insecure-password x groups g1\n  group g1 users u1\n  user u1\n"));
    assert_eq!(rc, 0);
    assert_eq!(texts(&m), ["parsing [t.cfg:11]: ignoring duplicated user 'u1' in userlist 'ul'."]);
    let (rc, m) = check(&with("userlist ul\n  user u1 groups x1\n  user u2 groups x2\n"));
    assert_eq!(rc, 1);
    // HAProxy's lists are built backwards: the last user is checked first.
    assert_eq!(texts(&m), ["userlist 'ul': no such group 'x2' specified in user 'u2'"]);
    let (_, m) = check(&with("userlist ul\n  user u1 zz\n  group\n  userr\n"));
    assert_eq!(
        texts(&m),
        [
            "parsing [t.cfg:9]: 'user' only supports 'password', 'insecure-password' and 'groups' options.",
            "parsing [t.cfg:10]: 'group' expects <name> as arguments.",
            "parsing [t.cfg:11]: unknown keyword 'userr' in 'users' section",
        ]
    );
}

#[test]
fn resolvers() {
    let (rc, m) = check(&with("resolvers r\n  resolve_retries 3\n  timeout retry 1s\n  hold valid 10s\n"));
    assert_eq!(rc, 0);
    assert_eq!(texts(&m), ["resolvers 'r' [t.cfg:8] has no nameservers configured!"]);
    let (_, m) = check(&with(
        "resolvers r\n  nameserver a 127.0.0.1:53\n  nameserver a 127.0.0.2:53\n  nameserver b 127.0.0.1\n  hold bogus 1s\n  timeout connect 1s\n  accepted_payload_size 11\n",
    ));
    assert_eq!(
        texts(&m),
        [
            "Parsing [t.cfg:10]: nameserver 'a' has same name as another nameserver (declared at t.cfg:9).",
            "parsing [t.cfg:11] : 'nameserver b' : missing port specification in '127.0.0.1'",
            "parsing [t.cfg:12] : 'hold' unknown <event>: 'bogus', expects either 'nx', 'timeout', 'valid', 'obsolete' or 'other'.",
            "parsing [t.cfg:13] : 'timeout' expects 'retry' or 'resolve' and <time> as arguments got 'connect'.",
            "parsing [t.cfg:14] : 'accepted_payload_size' must be between 12 and 65535 inclusive (was 11).",
        ]
    );
}

#[test]
fn cache() {
    let (rc, m) = check(&with("cache c\n  total-max-size 4\n  max-age 60\n  process-vary on\n"));
    assert_eq!((rc, m.len()), (0, 0));
    let (rc, m) = check(&with("cache c\n  max-age 60\n"));
    assert_eq!((rc, texts(&m)), (1, vec!["Size not specified for cache 'c'"]));
    // A bad number stops everything, with only a warning.
    let (rc, m) = check(&with("cache c\n  total-max-size abc\n  bogus\n"));
    assert_eq!(rc, 1);
    assert_eq!(m, [(Severity::Warning, "config : parsing [t.cfg:9]: total-max-size wrong value 'abc'".to_string())]);
    let (rc, m) = check(&with("cache c\n  total-max-size 1\n  max-object-size 524289\n"));
    assert_eq!((rc, texts(&m)), (1, vec!["\"max-object-size\" is limited to an half of \"total-max-size\" => 524288"]));
}

#[test]
fn peers() {
    let (rc, m) =
        check(&with("global\n  localpeer lp\npeers pr\n  peer lp 127.0.0.1:10000\n  peer p2 127.0.0.1:10001\n"));
    assert_eq!((rc, m.len()), (0, 0), "{m:?}");
    let (rc, m) = check(&with("global\n  localpeer lp\npeers pr\n  peer p2 127.0.0.1:10001\n"));
    assert_eq!((rc, texts(&m)), (0, vec!["Removing incomplete section 'peers pr' (no peer named 'lp')."]));
    let (_, m) = check(&with(
        "global\n  localpeer lp\npeers pr\n  peer lp 127.0.0.1:10000\n  bind 127.0.0.1:10001\n  table t1 type ip\n  foo\n",
    ));
    assert_eq!(
        texts(&m),
        [
            "parsing [t.cfg:12] : mixing \"peer\" and \"bind\" line is forbidden",
            "parsing [t.cfg:13] : table: missing size.",
            "parsing [t.cfg:14] : unknown keyword 'foo' in 'peers' section",
        ]
    );
}

#[test]
fn mailers_programs_and_http_errors() {
    let (rc, m) = check(&with("mailers m\n  mailer m1 127.0.0.1:25\n  timeout mail 10s\n"));
    assert_eq!((rc, texts(&m)), (0, vec!["Removing incomplete section 'mailers m'."]));
    // A proxy with complete email-alert settings keeps the section it names: no warning.
    let used = "backend be\n  email-alert mailers m\n  email-alert from a@b\n  email-alert to c@d\n";
    let (rc, m) = check(&with(&format!("mailers m\n  mailer m1 127.0.0.1:25\n{used}")));
    assert!(!texts(&m).iter().any(|t| t.contains("Removing")), "{rc} {m:?}");
    let (_, m) = check(&with("mailers m\n  mailer m2 127.0.0.1\n  timeout bogus 1s\n"));
    assert_eq!(
        texts(&m)[..2],
        [
            "parsing [t.cfg:9] : 'mailer m2' : missing port specification in '127.0.0.1'",
            "parsing [t.cfg:10] : 'timeout' expects 'mail' and <time> as arguments got 'bogus'.",
        ]
    );
    let (rc, m) = check(&with("global\n  master-worker\nprogram pg\n  command /bin/true\n"));
    assert_eq!((rc, m.len()), (0, 0), "{m:?}");
    let (rc, m) = check(&with("program pg\n  option start-on-reload x\n"));
    assert_eq!(rc, 1);
    assert_eq!(texts(&m), ["parsing [t.cfg:9] : 'option start-on-reload' cannot handle unexpected argument 'x'."]);
    let (_, m) = check(&with("program pg\n"));
    assert_eq!(
        texts(&m),
        [
            "The program section 'pg' lacks a command to launch.",
            "Can't use a 'program' section without master worker mode."
        ]
    );
    let (_, m) = check(&with("http-errors he\n  errorfile 999 /nonexistent\n  errorfile 503 /nonexistent/f\n"));
    assert_eq!(
        texts(&m),
        [
            "parsing [t.cfg:9] : errorfile : status code '999' not handled.",
            "parsing [t.cfg:10] : errorfile : error opening file '/nonexistent/f'.",
        ]
    );
}

#[test]
fn rings_fcgi_apps_and_log_forwards() {
    let (rc, m) = check(&with("ring r\n  size 100\n  format bogus\n  foo\n"));
    assert_eq!(rc, 1);
    assert_eq!(
        m,
        [
            (
                Severity::Warning,
                "config : parsing [t.cfg:9] : ignoring new size '100' that is smaller than current size '16384' for ring 'r'."
                    .to_string()
            ),
            (Severity::Alert, "config : parsing [t.cfg:10] : unknown format 'bogus'.".into()),
            (Severity::Alert, "config : parsing [t.cfg:11] : unknown statement 'foo'.".into()),
        ]
    );
    let (rc, m) = check(&with("fcgi-app fa\n  option max-reqs 0\n  docroot /a b\n"));
    assert_eq!(rc, 1);
    assert_eq!(
        texts(&m),
        [
            "parsing [t.cfg:9]: option 'max-reqs' expects a strictly positive integer argument.",
            "parsing [t.cfg:10] : 'docroot /a' cannot handle unexpected argument 'b'.",
        ]
    );
    let (rc, m) = check(&with("fcgi-app fa\n  index index.php\n"));
    assert_eq!((rc, texts(&m)), (1, vec!["fcgi-app 'fa': no docroot configured."]));
    // An unknown keyword stops HAProxy in a log-forward section.
    let (rc, m) = check(&with("log-forward lf\n  dgram-bind 127.0.0.1:5514\n  foo\n  bar\n"));
    assert_eq!((rc, texts(&m)), (1, vec!["parsing [t.cfg:10] : unknown keyword 'foo' in log-forward section."]));
    let (rc, m) = check(&with("log-forward lf\n  log global\n"));
    assert_eq!(rc, 0);
    assert_eq!(
        texts(&m),
        ["frontend 'lf' has no 'bind' directive. Please declare it as a backend if this was intended."]
    );
}

#[test]
fn sections_are_not_run_yet() {
    let (_, m) = check(&with("userlist ul\n  user u1 insecure-password x\n"));
    assert!(m.is_empty());
    let out = check_files(&[], &CheckOptions::default());
    assert!(out.usage);
    let kw = super::catalog();
    assert!(kw.iter().any(|(f, k, _)| *f == "peers" && *k == "table"));
    // Userlists and http-errors pages run; the other sections do not yet.
    for (family, _, s) in &kw {
        let run = matches!(*family, "userlist" | "http-errors");
        assert_eq!(*s == crate::ir::keywords::Status::Supported, run, "{family}");
        assert_eq!(*s == crate::ir::keywords::Status::Rejected, !run, "{family}");
    }
}

/// Notes `-c` prints for what haproxide refuses to start with.
fn notes(text: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("hx-notes-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("t.cfg");
    std::fs::write(&path, text).unwrap();
    let out = check_files(&[path.to_string_lossy().into_owned()], &CheckOptions::default());
    out.notes.iter().map(|n| n.replace(&*path.to_string_lossy(), "t.cfg")).collect()
}

#[test]
fn userlists_run_unless_a_hash_cannot_be_verified() {
    let ok = "userlist ul\n  user a password $6$abc$x\n  user b password *\n  user c insecure-password x\n";
    assert_eq!(notes(&with(ok)), Vec::<String>::new());
    let n = notes(&with("userlist ul\n  user a password $y$j9T$salt$x\n  user b password _J9..salt\n"));
    assert_eq!(
        n,
        [
            "not supported yet: password hash scheme '$y$' at t.cfg:9 (haproxide will refuse to start with this configuration)",
            "not supported yet: password hash scheme '_' at t.cfg:10 (haproxide will refuse to start with this configuration)",
        ]
    );
}
