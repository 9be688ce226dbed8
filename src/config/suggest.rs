//! HAProxy's "did you mean" for an unknown keyword, exactly as 2.6 computes it, and the ordered
//! candidate lists of every context where it prints one.
//!
//! Each word is fingerprinted by its character transitions (32 classes: 26 letters, digits, and
//! one class for anything else, which also marks the word's begin and end) plus a presence bit per
//! class; the distance is the sum of absolute differences. Candidates are tried in order and a
//! later one wins only when strictly closer, so the order of a list decides ties: it is HAProxy's
//! registration order (keyword lists in link order, then the hard-coded extra words), derived
//! from 111 529 suggestions recorded from the binary (`testdata/suggest/`). The winner is dropped
//! when its distance exceeds twice the length of the word or of itself (three times for actions
//! that match by prefix, such as `set-var`).

/// One context's candidates, in HAProxy's order.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub name: &'static str,
    pub words: &'static [&'static str],
    /// Candidates that HAProxy matches by prefix (`set-var(...)`): they get a looser threshold.
    pub prefix: &'static [&'static str],
}

impl Context {
    /// The suggestion for an unknown `word` in this context, if HAProxy would print one.
    pub fn suggest(&self, word: &str) -> Option<&'static str> {
        suggest(word, self.words.iter().copied(), self.prefix)
    }
}

/// Class of a byte: 1..=26 letters (case-insensitive), 27 digits, 28 anything else.
fn class(b: u8) -> usize {
    match b.to_ascii_lowercase() {
        c @ b'a'..=b'z' => (c - b'a' + 1) as usize,
        b'0'..=b'9' => 27,
        _ => 28,
    }
}

/// The fingerprint, sparse: `(index, count)` sorted by index, where index `32 * from + to` counts
/// the transitions between classes (28 also stands for the begin and the end of the word) and
/// indexes 1..=28 (row 0) mark which classes occur at all.
pub fn fingerprint(word: &str) -> Vec<(u16, u8)> {
    let mut fp: Vec<(u16, u8)> = Vec::with_capacity(2 * word.len() + 1);
    let mut bump = |i: usize, set: bool| match fp.iter_mut().find(|(k, _)| *k as usize == i) {
        Some((_, n)) if set => *n = 1,
        Some((_, n)) => *n = n.wrapping_add(1),
        None => fp.push((i as u16, 1)),
    };
    let mut from = 28;
    for &b in word.as_bytes() {
        let to = class(b);
        bump(to, true);
        bump(32 * from + to, false);
        from = to;
    }
    bump(32 * from + 28, false);
    fp.sort_unstable();
    fp
}

/// Sum of the absolute differences of two fingerprints.
pub fn distance(a: &[(u16, u8)], b: &[(u16, u8)]) -> usize {
    let (mut i, mut j, mut d) = (0, 0, 0usize);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                d += (x.1 as i32 - y.1 as i32).unsigned_abs() as usize;
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x.0 < y.0 => {
                d += x.1 as usize;
                i += 1;
            }
            (Some(x), None) => {
                d += x.1 as usize;
                i += 1;
            }
            (_, Some(y)) => {
                d += y.1 as usize;
                j += 1;
            }
            (None, None) => break,
        }
    }
    d
}

/// HAProxy's best match among `candidates` (in order), or `None` when even the best is too far.
/// `prefix` lists the candidates allowed three times the usual distance.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>, prefix: &[&str]) -> Option<&'a str> {
    pick(word, candidates.into_iter().map(|c| (c, fingerprint(c))), prefix)
}

/// [`suggest`] with the candidates' fingerprints already made.
fn pick<'a, F: AsRef<[(u16, u8)]>>(
    word: &str,
    candidates: impl IntoIterator<Item = (&'a str, F)>,
    prefix: &[&str],
) -> Option<&'a str> {
    let wfp = fingerprint(word);
    let mut best: Option<(usize, &'a str)> = None;
    for (c, fp) in candidates {
        let d = distance(&wfp, fp.as_ref());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let (d, c) = best?;
    let factor = if prefix.contains(&c) { 3 } else { 2 };
    (d <= factor * word.len() && d <= factor * c.len()).then_some(c)
}

/// Every context, for lookups by name.
pub const CONTEXTS: &[Context] = &[
    GLOBAL,
    PROXY,
    OPTION,
    SERVER,
    DEFAULT_SERVER,
    BIND,
    HTTP_REQUEST,
    HTTP_RESPONSE,
    HTTP_AFTER_RESPONSE,
    TCP_REQUEST_CONNECTION,
    TCP_REQUEST_SESSION,
    TCP_REQUEST_CONTENT,
    TCP_RESPONSE_CONTENT,
];

/// `global`: 154 candidates.
pub const GLOBAL: Context = Context {
    name: "global",
    words: &[
        "ca-base",
        "crt-base",
        "issuers-chain-path",
        "maxsslconn",
        "ssl-default-bind-options",
        "ssl-default-server-options",
        "ssl-dh-param-file",
        "ssl-mode-async",
        "ssl-propquery",
        "ssl-provider",
        "ssl-provider-path",
        "ssl-skip-self-issued-ca",
        "tune.ssl.cachesize",
        "tune.ssl.default-dh-param",
        "tune.ssl.force-private-cache",
        "tune.ssl.lifetime",
        "tune.ssl.maxrecord",
        "tune.ssl.hard-maxrecord",
        "tune.ssl.ssl-ctx-cache-size",
        "tune.ssl.capture-cipherlist-size",
        "tune.ssl.capture-buffer-size",
        "tune.ssl.keylog",
        "ssl-default-bind-ciphers",
        "ssl-default-server-ciphers",
        "ssl-default-bind-curves",
        "ssl-default-bind-ciphersuites",
        "ssl-default-server-ciphersuites",
        "ssl-load-extra-files",
        "ssl-load-extra-del-ext",
        "lua-prepend-path",
        "lua-load",
        "lua-load-per-thread",
        "tune.lua.session-timeout",
        "tune.lua.task-timeout",
        "tune.lua.service-timeout",
        "tune.lua.forced-yield",
        "tune.lua.maxmem",
        "tune.h2.header-table-size",
        "tune.h2.initial-window-size",
        "tune.h2.max-concurrent-streams",
        "tune.h2.max-frame-size",
        "close-spread-time",
        "default-path",
        "grace",
        "h1-accept-payload-with-any-method",
        "h1-case-adjust",
        "h1-case-adjust-file",
        "httpclient.resolvers.id",
        "httpclient.resolvers.prefer",
        "httpclient.ssl.ca-file",
        "httpclient.ssl.verify",
        "mworker-max-reloads",
        "pp2-never-send-local",
        "stats",
        "hard-stop-after",
        "nbthread",
        "set-var",
        "no-memory-trimming",
        "profiling.tasks",
        "set-var-fmt",
        "tune.fail-alloc",
        "tune.fd.edge-triggered",
        "tune.idle-pool.shared",
        "thread-group",
        "thread-groups",
        "tune.listener.multi-queue",
        "tune.peers.max-updates-at-once",
        "tune.pool-high-fd-ratio",
        "tune.pool-low-fd-ratio",
        "tune.sched.low-latency",
        "tune.vars.check-max-size",
        "tune.vars.global-max-size",
        "tune.vars.proc-max-size",
        "tune.vars.reqres-max-size",
        "tune.vars.sess-max-size",
        "tune.vars.txn-max-size",
        "global",
        "daemon",
        "master-worker",
        "noepoll",
        "nokqueue",
        "noevports",
        "nopoll",
        "busy-polling",
        "set-dumpable",
        "insecure-fork-wanted",
        "insecure-setuid-wanted",
        "nosplice",
        "nogetaddrinfo",
        "noreuseport",
        "quiet",
        "zero-warning",
        "tune.runqueue-depth",
        "tune.maxpollevents",
        "tune.maxaccept",
        "tune.recv_enough",
        "tune.buffers.limit",
        "tune.buffers.reserve",
        "tune.bufsize",
        "tune.maxrewrite",
        "tune.idletimer",
        "tune.rcvbuf.client",
        "tune.rcvbuf.server",
        "tune.sndbuf.client",
        "tune.sndbuf.server",
        "tune.pipesize",
        "tune.http.cookielen",
        "tune.http.logurilen",
        "tune.http.maxhdr",
        "tune.comp.maxlevel",
        "tune.pattern.cache-size",
        "uid",
        "gid",
        "external-check",
        "user",
        "group",
        "nbproc",
        "maxconn",
        "ssl-server-verify",
        "maxconnrate",
        "maxsessrate",
        "maxsslrate",
        "maxcomprate",
        "maxpipes",
        "maxzlibmem",
        "maxcompcpuusage",
        "ulimit-n",
        "chroot",
        "description",
        "node",
        "pidfile",
        "unix-bind",
        "log",
        "log-send-hostname",
        "server-state-base",
        "server-state-file",
        "log-tag",
        "spread-checks",
        "max-spread-checks",
        "cpu-map",
        "setenv",
        "presetenv",
        "unsetenv",
        "resetenv",
        "strict-limits",
        "localpeer",
        "numa-cpu-mapping",
        "defaults",
        "listen",
        "frontend",
        "backend",
        "peers",
        "resolvers",
        "cluster-secret",
    ],
    prefix: &[],
};

/// `proxy`: 89 candidates.
pub const PROXY: Context = Context {
    name: "proxy",
    words: &[
        "clitcpka-cnt",
        "clitcpka-idle",
        "clitcpka-intvl",
        "clitimeout",
        "contimeout",
        "compression",
        "declare",
        "errorloc",
        "errorfile",
        "errorfiles",
        "errorloc302",
        "errorloc303",
        "external-check",
        "http-check",
        "max-keep-alive-queue",
        "rate-limit",
        "filter",
        "retry-on",
        "http-error",
        "srvtcpka-cnt",
        "srvtcpka-idle",
        "srvtcpka-intvl",
        "srvtimeout",
        "tcp-check",
        "tcp-request",
        "timeout",
        "tcp-response",
        "use-fcgi-app",
        "listen",
        "frontend",
        "backend",
        "defaults",
        "server",
        "default-server",
        "server-template",
        "bind",
        "monitor-net",
        "monitor-uri",
        "mode",
        "id",
        "description",
        "disabled",
        "enabled",
        "bind-process",
        "acl",
        "dynamic-cookie-key",
        "cookie",
        "email-alert",
        "persist",
        "appsession",
        "load-server-state-from-file",
        "server-state-file-name",
        "max-session-srv-conns",
        "capture",
        "retries",
        "http-request",
        "http-response",
        "http-after-response",
        "http-send-name-header",
        "block",
        "redirect",
        "use_backend",
        "use-server",
        "force-persist",
        "ignore-persist",
        "stick-table",
        "stick",
        "stats",
        "option",
        "default_backend",
        "http-reuse",
        "monitor",
        "transparent",
        "maxconn",
        "backlog",
        "fullconn",
        "dispatch",
        "balance",
        "hash-type",
        "hash-balance-factor",
        "unique-id-format",
        "unique-id-header",
        "log-format",
        "log-format-sd",
        "log-tag",
        "log",
        "source",
        "usesrc",
        "error-log-format",
    ],
    prefix: &[],
};

/// `option`: 52 candidates.
pub const OPTION: Context = Context {
    name: "option",
    words: &[
        "abortonclose",
        "allbackups",
        "checkcache",
        "clitcpka",
        "contstats",
        "dontlog-normal",
        "dontlognull",
        "forwardfor",
        "h1-case-adjust-bogus-client",
        "h1-case-adjust-bogus-server",
        "http-buffer-request",
        "http-ignore-probes",
        "http-pretend-keepalive",
        "httplog",
        "http-keep-alive",
        "idle-close-on-response",
        "ldap-check",
        "log-health-checks",
        "logasap",
        "mysql-check",
        "nolinger",
        "persist",
        "external-check",
        "log-separate-errors",
        "pgsql-check",
        "prefer-last-server",
        "splice-auto",
        "socket-stats",
        "splice-request",
        "accept-invalid-http-request",
        "splice-response",
        "accept-invalid-http-response",
        "httpclose",
        "srvtcpka",
        "ssl-hello-chk",
        "tcp-smart-accept",
        "tcp-smart-connect",
        "http-use-proxy-header",
        "http-no-delay",
        "http-server-close",
        "httpchk",
        "transparent",
        "independent-streams",
        "disable-h2-upgrade",
        "redispatch",
        "redis-check",
        "smtpchk",
        "spop-check",
        "tcpka",
        "tcp-check",
        "tcplog",
        "original-to",
    ],
    prefix: &[],
};

/// `server` and `default-server` (HAProxy registers one keyword list for both): 106 candidates.
const SERVER_WORDS: &[&str] = &[
    "agent-port",
    "allow-0rtt",
    "alpn",
    "backup",
    "ca-file",
    "check-alpn",
    "check-proto",
    "check-sni",
    "check-ssl",
    "ciphers",
    "ciphersuites",
    "cookie",
    "check",
    "crl-file",
    "crt",
    "agent-addr",
    "downinter",
    "fail-check",
    "force-sslv3",
    "force-tlsv10",
    "force-tlsv11",
    "force-tlsv12",
    "force-tlsv13",
    "ipv4",
    "legacy",
    "log-proto",
    "maxconn",
    "no-backup",
    "no-check-send-proxy",
    "no-check-ssl",
    "no-send-proxy",
    "no-send-proxy-v2",
    "no-send-proxy-v2-ssl",
    "no-send-proxy-v2-ssl-cn",
    "no-ssl",
    "no-check",
    "no-ssl-reuse",
    "no-sslv3",
    "no-tfo",
    "no-tls-tickets",
    "no-tlsv10",
    "no-tlsv11",
    "no-tlsv12",
    "no-tlsv13",
    "npn",
    "non-stick",
    "observe",
    "on-marked-down",
    "pool-purge-delay",
    "proto",
    "resolve-net",
    "send-proxy-v2",
    "check-send-proxy",
    "send-proxy-v2-ssl",
    "send-proxy-v2-ssl-cn",
    "sni",
    "slowstart",
    "socks4",
    "check-via-socks4",
    "source",
    "ssl",
    "disabled",
    "enabled",
    "error-limit",
    "on-error",
    "on-marked-up",
    "ssl-min-ver",
    "minconn",
    "pool-low-conn",
    "pool-max-conn",
    "proxy-v2-options",
    "ssl-max-ver",
    "ssl-reuse",
    "max-reuse",
    "redir",
    "addr",
    "resolve-opts",
    "resolve-prefer",
    "resolvers",
    "sudden-death",
    "tcp-ut",
    "tfo",
    "tls-tickets",
    "track",
    "agent-check",
    "no-agent-check",
    "usesrc",
    "agent-inter",
    "fall",
    "fastinter",
    "verify",
    "id",
    "init-addr",
    "mark-down",
    "namespace",
    "send-proxy",
    "stick",
    "verifyhost",
    "weight",
    "ws",
    "agent-send",
    "inter",
    "maxqueue",
    "octet-count",
    "port",
    "rise",
];

/// `server`.
pub const SERVER: Context = Context { name: "server", words: SERVER_WORDS, prefix: &[] };

/// `default-server`.
pub const DEFAULT_SERVER: Context = Context { name: "default-server", words: SERVER_WORDS, prefix: &[] };

/// `bind`: 64 candidates.
pub const BIND: Context = Context {
    name: "bind",
    words: &[
        "accept-netscaler-cip",
        "allow-0rtt",
        "alpn",
        "accept-proxy",
        "backlog",
        "ca-file",
        "ca-ignore-err",
        "ca-sign-file",
        "ca-sign-pass",
        "ca-verify-file",
        "ciphers",
        "ciphersuites",
        "crl-file",
        "crt",
        "crt-ignore-err",
        "crt-list",
        "curves",
        "ecdhe",
        "expose-fd",
        "force-sslv3",
        "force-tlsv10",
        "force-tlsv11",
        "force-tlsv12",
        "force-tlsv13",
        "generate-certificates",
        "gid",
        "group",
        "maxconn",
        "no-ca-names",
        "no-sslv3",
        "no-tls-tickets",
        "nice",
        "no-tlsv10",
        "no-tlsv11",
        "no-tlsv12",
        "no-tlsv13",
        "npn",
        "prefer-client-ciphers",
        "shards",
        "ssl",
        "defer-accept",
        "process",
        "interface",
        "mss",
        "proto",
        "ssl-min-ver",
        "level",
        "ssl-max-ver",
        "mode",
        "name",
        "strict-sni",
        "tcp-ut",
        "tfo",
        "tls-ticket-keys",
        "uid",
        "v4v6",
        "v6only",
        "verify",
        "id",
        "severity-output",
        "thread",
        "transparent",
        "namespace",
        "user",
    ],
    prefix: &[],
};

/// `http-request`: 57 candidates.
pub const HTTP_REQUEST: Context = Context {
    name: "http-request",
    words: &[
        "add-acl",
        "add-header",
        "allow",
        "auth",
        "cache-use",
        "capture",
        "del-acl",
        "del-header",
        "del-map",
        "deny",
        "disable-l7-retry",
        "do-resolve",
        "early-hint",
        "normalize-uri",
        "ot-group",
        "redirect",
        "replace-header",
        "replace-path",
        "replace-pathq",
        "replace-uri",
        "replace-value",
        "sc-inc-gpc0",
        "return",
        "sc-inc-gpc1",
        "sc-set-gpt0",
        "send-spoe-group",
        "set-dst-port",
        "set-header",
        "set-log-level",
        "reject",
        "set-map",
        "set-method",
        "set-dst",
        "set-nice",
        "sc-inc-gpc",
        "sc-set-gpt",
        "set-path",
        "set-pathq",
        "set-priority-class",
        "set-priority-offset",
        "set-query",
        "set-src-port",
        "set-timeout",
        "set-uri",
        "set-var",
        "set-mark",
        "set-tos",
        "set-var-fmt",
        "silent-drop",
        "strict-mode",
        "tarpit",
        "track-sc",
        "set-src",
        "unset-var",
        "use-service",
        "wait-for-body",
        "wait-for-handshake",
    ],
    prefix: &[
        "add-acl",
        "del-acl",
        "del-map",
        "do-resolve",
        "sc-inc-gpc",
        "sc-inc-gpc0",
        "sc-inc-gpc1",
        "sc-set-gpt",
        "sc-set-gpt0",
        "set-map",
        "set-var",
        "set-var-fmt",
        "track-sc",
        "unset-var",
    ],
};

/// `http-response`: 34 candidates.
pub const HTTP_RESPONSE: Context = Context {
    name: "http-response",
    words: &[
        "add-acl",
        "add-header",
        "cache-store",
        "capture",
        "del-acl",
        "del-header",
        "del-map",
        "deny",
        "ot-group",
        "redirect",
        "replace-header",
        "replace-value",
        "sc-inc-gpc0",
        "sc-inc-gpc1",
        "sc-set-gpt0",
        "send-spoe-group",
        "set-header",
        "set-log-level",
        "set-map",
        "set-nice",
        "sc-inc-gpc",
        "allow",
        "return",
        "sc-set-gpt",
        "set-status",
        "set-tos",
        "set-var-fmt",
        "set-var",
        "set-mark",
        "silent-drop",
        "strict-mode",
        "track-sc",
        "unset-var",
        "wait-for-body",
    ],
    prefix: &[
        "add-acl",
        "del-acl",
        "del-map",
        "sc-inc-gpc",
        "sc-inc-gpc0",
        "sc-inc-gpc1",
        "sc-set-gpt",
        "sc-set-gpt0",
        "set-map",
        "set-var",
        "set-var-fmt",
        "track-sc",
        "unset-var",
    ],
};

/// `http-after-response`: 13 candidates.
pub const HTTP_AFTER_RESPONSE: Context = Context {
    name: "http-after-response",
    words: &[
        "add-header",
        "allow",
        "capture",
        "del-header",
        "ot-group",
        "replace-header",
        "replace-value",
        "set-header",
        "set-status",
        "set-var-fmt",
        "set-var",
        "strict-mode",
        "unset-var",
    ],
    prefix: &["set-var", "set-var-fmt", "unset-var"],
};

/// `tcp-request connection`: 21 candidates.
pub const TCP_REQUEST_CONNECTION: Context = Context {
    name: "tcp-request connection",
    words: &[
        "sc-inc-gpc",
        "sc-inc-gpc0",
        "sc-inc-gpc1",
        "sc-set-gpt",
        "accept",
        "sc-set-gpt0",
        "set-src",
        "reject",
        "expect-proxy",
        "set-var-fmt",
        "expect-netscaler-cip",
        "set-var",
        "track-sc",
        "unset-var",
        "capture",
        "set-dst",
        "set-dst-port",
        "set-mark",
        "set-src-port",
        "set-tos",
        "silent-drop",
    ],
    prefix: &[
        "sc-inc-gpc",
        "sc-inc-gpc0",
        "sc-inc-gpc1",
        "sc-set-gpt",
        "sc-set-gpt0",
        "set-var",
        "set-var-fmt",
        "unset-var",
    ],
};

/// `tcp-request session`: 21 candidates.
pub const TCP_REQUEST_SESSION: Context = Context {
    name: "tcp-request session",
    words: &[
        "sc-inc-gpc",
        "sc-inc-gpc0",
        "sc-inc-gpc1",
        "sc-set-gpt",
        "accept",
        "sc-set-gpt0",
        "set-src",
        "reject",
        "expect-proxy",
        "set-var-fmt",
        "expect-netscaler-cip",
        "set-var",
        "track-sc",
        "unset-var",
        "capture",
        "set-dst",
        "set-dst-port",
        "set-mark",
        "set-src-port",
        "set-tos",
        "silent-drop",
    ],
    prefix: &[
        "sc-inc-gpc",
        "sc-inc-gpc0",
        "sc-inc-gpc1",
        "sc-set-gpt",
        "sc-set-gpt0",
        "set-var",
        "set-var-fmt",
        "unset-var",
    ],
};

/// `tcp-request content`: 30 candidates.
pub const TCP_REQUEST_CONTENT: Context = Context {
    name: "tcp-request content",
    words: &[
        "ot-group",
        "send-spoe-group",
        "set-log-level",
        "set-nice",
        "sc-inc-gpc",
        "sc-inc-gpc0",
        "sc-inc-gpc1",
        "sc-set-gpt",
        "accept",
        "sc-set-gpt0",
        "set-priority-offset",
        "set-src-port",
        "set-var-fmt",
        "switch-mode",
        "do-resolve",
        "expect-netscaler-cip",
        "set-var",
        "track-sc",
        "unset-var",
        "capture",
        "set-dst",
        "set-dst-port",
        "set-mark",
        "set-priority-class",
        "set-tos",
        "silent-drop",
        "use-service",
        "set-src",
        "reject",
        "expect-proxy",
    ],
    prefix: &[
        "do-resolve",
        "sc-inc-gpc",
        "sc-inc-gpc0",
        "sc-inc-gpc1",
        "sc-set-gpt",
        "sc-set-gpt0",
        "set-var",
        "set-var-fmt",
        "unset-var",
    ],
};

/// `tcp-response content`: 18 candidates.
pub const TCP_RESPONSE_CONTENT: Context = Context {
    name: "tcp-response content",
    words: &[
        "ot-group",
        "set-log-level",
        "set-nice",
        "sc-inc-gpc",
        "sc-inc-gpc0",
        "sc-inc-gpc1",
        "sc-set-gpt",
        "accept",
        "sc-set-gpt0",
        "reject",
        "send-spoe-group",
        "set-var-fmt",
        "set-var",
        "unset-var",
        "set-mark",
        "set-tos",
        "silent-drop",
        "close",
    ],
    prefix: &[
        "sc-inc-gpc",
        "sc-inc-gpc0",
        "sc-inc-gpc1",
        "sc-set-gpt",
        "sc-set-gpt0",
        "set-var",
        "set-var-fmt",
        "unset-var",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    fn data(name: &str) -> String {
        let path = format!("{}/testdata/suggest/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Every recorded unknown word of every context gets exactly HAProxy's suggestion (or none).
    #[test]
    fn reproduces_every_recorded_suggestion() {
        let words = data("words.txt");
        let mut total = 0;
        let mut wrong = Vec::new();
        for ctx in CONTEXTS {
            let text = data(&format!("{}.tsv", ctx.name.replace(' ', "-")));
            let mut expected: Vec<(&str, &str)> = Vec::new();
            let only_listed = text.lines().any(|l| l == "#only-listed");
            let listed: std::collections::HashMap<&str, &str> =
                text.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split_once('\t')).collect();
            if only_listed {
                expected.extend(listed.iter().map(|(w, s)| (*w, *s)));
            } else {
                for w in words.lines() {
                    match listed.get(w) {
                        Some(&"!") => {}
                        Some(s) => expected.push((w, s)),
                        None => expected.push((w, "")),
                    }
                }
            }
            let fps: Vec<_> = ctx.words.iter().map(|c| (*c, fingerprint(c))).collect();
            for (w, s) in expected {
                total += 1;
                let got = pick(w, fps.iter().map(|(c, f)| (*c, f)), ctx.prefix).unwrap_or("");
                if got != s {
                    wrong.push(format!("{}: {w:?} -> {got:?}, HAProxy {s:?}", ctx.name));
                }
            }
        }
        assert!(total > 100_000, "expected the recorded vectors, found {total}");
        assert!(wrong.is_empty(), "{} of {total} differ:\n{}", wrong.len(), wrong[..wrong.len().min(40)].join("\n"));
    }

    #[test]
    fn examples() {
        assert_eq!(GLOBAL.suggest("maxconnn"), Some("maxconn"));
        assert_eq!(GLOBAL.suggest("balance"), Some("ca-base"));
        assert_eq!(GLOBAL.suggest("51degrees-cache-size"), Some("tune.ssl.cachesize"));
        assert_eq!(GLOBAL.suggest("able"), None);
        assert_eq!(GLOBAL.suggest("done"), Some("node"));
    }
}
