//! The validated configuration: plain typed data, `Clone + Eq + Debug`, no runtime state.
//! Frontends, backends, listens and defaults share one [`Proxy`] type, as in HAProxy, because
//! a defaults section is a template that new proxies are cloned from.

use std::collections::BTreeMap;

use super::addr::Address;
pub use super::rules::ActionRule;
use crate::config::ast::Span;

pub use super::proxy_types::*;

/// Proxy capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Caps {
    pub frontend: bool,
    pub backend: bool,
    pub defaults: bool,
}

impl Caps {
    pub const FRONTEND: Caps = Caps { frontend: true, backend: false, defaults: false };
    pub const BACKEND: Caps = Caps { frontend: false, backend: true, defaults: false };
    pub const LISTEN: Caps = Caps { frontend: true, backend: true, defaults: false };
    pub const DEFAULTS: Caps = Caps { frontend: true, backend: true, defaults: true };

    /// The word HAProxy uses for this proxy in messages (`frontend 'fe'`, `proxy 'x'` ...).
    pub fn type_name(self) -> &'static str {
        match (self.defaults, self.frontend, self.backend) {
            (true, _, _) => "defaults",
            (false, true, true) => "proxy",
            (false, true, false) => "frontend",
            (false, false, true) => "backend",
            _ => "proxy",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    #[default]
    Tcp,
    Http,
    Log,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Tcp => "tcp",
            Mode::Http => "http",
            Mode::Log => "log",
        }
    }
}

/// A name written in the configuration that must be resolved later, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameRef {
    pub name: String,
    pub span: Span,
}

/// `timeout <kind> <value>`; every value is in milliseconds, `None` when unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timeouts {
    pub client: Option<u32>,
    pub client_fin: Option<u32>,
    pub server: Option<u32>,
    pub server_fin: Option<u32>,
    pub connect: Option<u32>,
    pub check: Option<u32>,
    pub queue: Option<u32>,
    pub http_keep_alive: Option<u32>,
    pub http_request: Option<u32>,
    pub tunnel: Option<u32>,
    pub tarpit: Option<u32>,
}

/// `balance <algo> [args]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Balance {
    #[default]
    RoundRobin,
    StaticRr,
    LeastConn,
    First,
    Source,
    Uri {
        whole: bool,
        len: Option<u32>,
        depth: Option<u32>,
        path_only: bool,
    },
    UrlParam {
        name: String,
        check_post: Option<u32>,
    },
    Hdr {
        name: String,
        use_domain_only: bool,
    },
    Random {
        draws: u32,
    },
    Rdp {
        cookie: Option<String>,
    },
    /// `balance hash <expr>`.
    Hash {
        expr: String,
    },
}

impl Balance {
    /// Static algorithms refuse weight changes other than 0% / 100% at runtime.
    pub fn is_static(&self) -> bool {
        matches!(self, Balance::StaticRr)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashMethod {
    #[default]
    MapBased,
    Consistent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashFunction {
    #[default]
    Sdbm,
    Djb2,
    Wt6,
    Crc32,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HashType {
    pub method: HashMethod,
    pub function: HashFunction,
    pub avalanche: bool,
}

/// A listening address from a `bind` line with its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    pub span: Span,
    pub addr: Address,
    pub opts: BindOpts,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BindOpts {
    /// The address argument as written (`bind <arg> ...`), for messages.
    pub arg: String,
    pub name: Option<String>,
    pub id: Option<i32>,
    pub maxconn: Option<u32>,
    pub backlog: Option<u32>,
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub user: Option<String>,
    pub group: Option<String>,
    pub interface: Option<String>,
    pub namespace: Option<String>,
    pub transparent: bool,
    pub v4v6: bool,
    pub v6only: bool,
    pub defer_accept: bool,
    pub tfo: bool,
    pub accept_proxy: bool,
    pub accept_netscaler_cip: Option<u32>,
    pub expose_fd_listeners: bool,
    pub level: Option<CliLevel>,
    pub severity_output: Option<String>,
    pub process: Option<String>,
    pub thread: Option<String>,
    /// `thread [<group>/]<set>`: the group given (only 1 exists) and the union of the sets
    /// (bit 0 is thread 1), resolved against `nbthread` after parsing.
    pub thread_group: Option<i64>,
    pub thread_mask: u64,
    pub nice: Option<i32>,
    pub tcp_ut: Option<u32>,
    pub mss: Option<String>,
    pub proto: Option<String>,
    pub ssl: bool,
    pub crt: Vec<String>,
    pub alpn: Option<String>,
    /// Options accepted for syntax but whose effect haproxide does not implement yet.
    pub other: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum CliLevel {
    User,
    #[default]
    Operator,
    Admin,
}

/// Options shared by `server` and `default-server` lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerOpts {
    pub weight: Option<i32>,
    pub backup: bool,
    pub maxconn: Option<u32>,
    pub maxqueue: Option<u32>,
    pub minconn: Option<u32>,
    pub disabled: bool,
    pub cookie: Option<String>,
    pub id: Option<i32>,
    pub check: bool,
    pub check_port: Option<u16>,
    pub check_addr: Option<String>,
    pub inter: Option<u32>,
    pub fastinter: Option<u32>,
    pub downinter: Option<u32>,
    pub rise: Option<i32>,
    pub fall: Option<i32>,
    pub agent_check: bool,
    pub agent_inter: Option<u32>,
    pub agent_addr: Option<String>,
    pub agent_port: Option<u16>,
    pub agent_send: Option<String>,
    pub observe: Option<Observe>,
    pub error_limit: Option<i32>,
    pub on_error: Option<OnError>,
    pub on_marked_down: Option<String>,
    pub on_marked_up: Option<String>,
    pub track: Option<String>,
    pub slowstart: Option<u32>,
    pub init_addr: Option<Vec<InitAddr>>,
    pub resolvers: Option<String>,
    pub resolve_prefer: Option<String>,
    pub send_proxy: bool,
    pub send_proxy_v2: bool,
    /// `proxy-v2-options` values, in order (repeated lines add up).
    pub proxy_v2_options: Vec<String>,
    pub redir: Option<String>,
    pub source: Option<String>,
    pub ssl: bool,
    pub verify: Option<String>,
    pub sni: Option<String>,
    pub check_ssl: bool,
    pub check_send_proxy: bool,
    pub non_stick: bool,
    pub proto: Option<String>,
    pub pool_max_conn: Option<i32>,
    /// Options accepted for syntax whose effect haproxide does not implement yet.
    pub other: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observe {
    None,
    Layer4,
    Layer7,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    FastInter,
    FailCheck,
    SuddenDeath,
    MarkDown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitAddr {
    Last,
    Libc,
    None,
    Ip(std::net::IpAddr),
}

/// One server of a backend (server-template slots are expanded into servers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub name: String,
    pub span: Span,
    pub addr: Address,
    pub opts: ServerOpts,
    /// Set for servers made by `server-template`.
    pub from_template: bool,
}

/// `option` flags without arguments: `option X` sets, `no option X` clears.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OptionFlags {
    /// Explicit settings by option name; absent means HAProxy's default.
    pub set: BTreeMap<&'static str, bool>,
}

impl OptionFlags {
    pub fn get(&self, name: &str) -> Option<bool> {
        self.set.get(name).copied()
    }
    pub fn is_on(&self, name: &str) -> bool {
        self.get(name).unwrap_or(false)
    }
}

/// `option httplog [clf]`, `option tcplog`, `log-format` and friends.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Default,
    Tcp,
    Http,
    HttpClf,
    Https,
    Custom(String),
}

/// A `log` target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    /// `log global`: use the global section's targets.
    Global(Span),
    Target {
        span: Span,
        addr: String,
        len: Option<u32>,
        format: Option<String>,
        sample: Option<String>,
        facility: String,
        level: Option<String>,
        minlevel: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogSpec {
    pub targets: Vec<LogTarget>,
    /// `no log` in a proxy disables inherited targets.
    pub disabled: bool,
    pub format: LogFormat,
    /// Where the format was set (`log-format` or an `option` line), for errors found when it
    /// is compiled after parsing.
    pub format_line: Option<Span>,
    /// `log-format-sd`.
    pub format_sd: Option<String>,
    pub tag: Option<String>,
    /// `error-log-format`.
    pub error_format: Option<String>,
}

/// `option redispatch [<interval>]`: `Some(0)` = on each retry (HAProxy's -1 default meaning last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redispatch {
    pub interval: i32,
}

/// `option forwardfor [except <net>] [header <name>] [if-none]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardFor {
    pub except: Option<String>,
    pub header: String,
    pub if_none: bool,
}

/// `option httpchk` in all its forms: the request it describes (method, URI, version, and the
/// headers/body of the legacy `HTTP/1.1\r\nHost:\ x` trick).
pub type HttpChk = super::checks::HttpSend;

/// A health-check rule from `http-check` / `tcp-check`.
pub use super::checks::CheckRule;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CheckKind {
    #[default]
    Tcp,
    Http,
    TcpCheck,
    Redis,
    Mysql,
    Pgsql,
    Smtp,
    Ldap,
    SslHello,
    Spop,
    External,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckConfig {
    pub kind: CheckKind,
    pub httpchk: Option<HttpChk>,
    pub http_rules: Vec<CheckRule>,
    pub tcp_rules: Vec<CheckRule>,
    pub disable_on_404: bool,
    pub send_state: bool,
    /// Raw arguments of protocol checks (`option mysql-check user x`, `option smtpchk EHLO x`).
    pub proto_args: Vec<String>,
    /// The section that declared `http_rules` / `tcp_rules`: a proxy's first own rule replaces
    /// the rules inherited from its defaults section, as HAProxy starts a new rule set.
    pub http_owner: Option<Span>,
    pub tcp_owner: Option<Span>,
}

/// `cookie <name> ...`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CookieSpec {
    pub name: String,
    pub mode: CookieMode,
    pub indirect: bool,
    pub nocache: bool,
    pub postonly: bool,
    pub preserve: bool,
    pub httponly: bool,
    pub secure: bool,
    pub domains: Vec<String>,
    pub maxidle: Option<u32>,
    pub maxlife: Option<u32>,
    pub dynamic: bool,
    pub attrs: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CookieMode {
    #[default]
    Rewrite,
    Insert,
    Prefix,
    /// Only `cookie <name>` with no mode: passive (lookup only).
    Passive,
}

/// `stick-table ...` (in a backend or a peers section) and `table` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StickTableSpec {
    pub span: Span,
    pub key: TableKey,
    pub size: u64,
    pub expire: Option<u32>,
    pub nopurge: bool,
    pub peers: Option<String>,
    pub srvkey: Option<String>,
    /// Data types stored, as written (`gpc0`, `http_req_rate(10s)` ...).
    pub store: Vec<String>,
    /// Declaration order among all the configuration's tables (`show table` lists them from
    /// the last declared).
    pub seq: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKey {
    Ip,
    Ipv6,
    Integer,
    String { len: u32 },
    Binary { len: u32 },
}

/// What a `stick` rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StickKind {
    /// `stick on`: match, and store on the request.
    On,
    Match,
    /// `stick store-request` (or `stick store`).
    StoreRequest,
    StoreResponse,
}

impl StickKind {
    /// The word after `stick`, as HAProxy names the rule.
    pub fn keyword(self) -> &'static str {
        match self {
            StickKind::On => "on",
            StickKind::Match => "match",
            StickKind::StoreRequest => "store-request",
            StickKind::StoreResponse => "store-response",
        }
    }
}

/// `stick on|match|store-request|store-response <pattern> [table <t>] [if|unless <cond>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StickRule {
    pub span: Span,
    pub kind: StickKind,
    /// The sample expression, as written.
    pub expr: String,
    /// The expression as parsed (its arguments resolved after the whole configuration is read).
    pub parsed: Option<crate::acl::SampleExpr>,
    pub table: Option<String>,
    pub cond: Option<Condition>,
}

/// An `if`/`unless` condition, kept as its words; `acl` parses and checks them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub negate: bool,
    pub terms: Vec<String>,
}

/// A generic rule line that carries an optional condition: `http-request`, `use_backend`, ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub span: Span,
    /// Words of the rule before the condition (action and arguments).
    pub words: Vec<String>,
    pub cond: Option<Condition>,
}

/// `acl <name> <criterion> [flags] [operator] <value>*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclDef {
    pub span: Span,
    pub name: String,
    pub words: Vec<String>,
}

/// `errorfile <code> <file>` after the file was read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorFile {
    pub status: u16,
    pub body: Vec<u8>,
}

/// `stats ...` in a proxy (HAProxy's `uri_auth`): present as soon as any `stats` keyword is used.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatsSpec {
    pub enabled: bool,
    pub uri: Option<String>,
    pub realm: Option<String>,
    pub auth: Vec<String>,
    pub refresh: Option<u32>,
    pub hide_version: bool,
    pub show_legends: bool,
    pub show_modules: bool,
    pub show_node: Option<String>,
    pub show_desc: Option<String>,
    pub scope: Vec<String>,
    pub admin: Vec<Rule>,
    pub http_request: Vec<Rule>,
}

/// A frontend, backend, listen, or defaults section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    pub name: String,
    pub caps: Caps,
    pub span: Span,
    pub id: Option<i32>,
    pub disabled: bool,
    pub description: Option<String>,
    pub mode: Mode,
    /// Where `mode` was explicitly set (for wrong-mode checks).
    pub mode_set: bool,

    // Frontend side.
    pub binds: Vec<Bind>,
    pub maxconn: Option<u32>,
    pub backlog: Option<u32>,
    pub rate_limit_sessions: Option<u32>,
    pub max_session_srv_conns: Option<i32>,
    pub default_backend: Option<NameRef>,
    pub use_backend: Vec<Rule>,
    pub use_server: Vec<Rule>,
    pub monitor_uri: Option<String>,
    pub monitor_fail: Vec<Rule>,
    /// `capture cookie <name> len <n>`.
    pub capture_cookie: Option<(String, i64)>,
    /// `capture request|response header` and `declare capture` slots.
    pub captures: Vec<CaptureSlot>,
    pub clitcpka: TcpKeepAlive,

    // Backend side.
    pub servers: Vec<Server>,
    pub default_server: ServerOpts,
    pub balance: Balance,
    pub balance_set: bool,
    pub hash_type: HashType,
    pub hash_balance_factor: Option<u32>,
    pub fullconn: Option<u32>,
    pub retries: Option<i32>,
    pub retry_on: Option<Vec<String>>,
    pub redispatch: Option<Redispatch>,
    pub cookie: Option<CookieSpec>,
    pub dynamic_cookie_key: Option<String>,
    /// `persist rdp-cookie[(<name>)]`: the cookie name.
    pub rdp_cookie: Option<String>,
    pub persist_rules: Vec<Rule>,
    pub stick_table: Option<StickTableSpec>,
    pub stick_rules: Vec<StickRule>,
    pub checks: CheckConfig,
    pub forwardfor: Option<ForwardFor>,
    pub originalto: Option<ForwardFor>,
    pub http_reuse: HttpReuse,
    /// `http-send-name-header <name>`.
    pub send_name_header: Option<String>,
    pub max_keep_alive_queue: Option<i64>,
    pub dispatch: Option<NameRef>,
    pub transparent: bool,
    pub source: Option<SourceSpec>,
    pub server_state_file_name: Option<String>,
    pub load_server_state: Option<ServerStateFrom>,
    pub srvtcpka: TcpKeepAlive,
    pub external_check_command: Option<String>,
    pub external_check_path: Option<String>,
    /// `use-fcgi-app <name>`.
    pub fcgi_app: Option<NameRef>,

    // Both sides.
    pub timeouts: Timeouts,
    pub options: OptionFlags,
    pub log: LogSpec,
    pub acls: Vec<AclDef>,
    pub http_request: Vec<ActionRule>,
    pub http_response: Vec<ActionRule>,
    pub http_after_response: Vec<ActionRule>,
    pub tcp_request_connection: Vec<ActionRule>,
    pub tcp_request_session: Vec<ActionRule>,
    pub tcp_request_content: Vec<ActionRule>,
    pub tcp_request_inspect_delay: Option<u32>,
    pub tcp_response_content: Vec<ActionRule>,
    pub tcp_response_inspect_delay: Option<u32>,
    pub redirects: Vec<ActionRule>,
    /// The error messages the engine serves, by status: `error_rules` applied in order after
    /// parsing (the last line for a status wins).
    pub error_pages: BTreeMap<u16, ErrorPage>,
    /// Every error-page line in order, `errorfile` included.
    pub error_rules: Vec<ErrorRule>,
    pub stats: StatsSpec,
    pub unique_id_format: Option<String>,
    /// Where `unique_id_format` was written (for HAProxy's post-parsing alert).
    pub unique_id_format_line: Option<Span>,
    pub unique_id_header: Option<String>,
    pub filters: Vec<Rule>,
    /// Settings accepted for syntax that have no observable effect in haproxide (performance
    /// knobs); `-c` notes them.
    pub ignored: Vec<Unsupported>,
    pub compression: Option<CompressionSpec>,
    pub email_alert: EmailAlert,
}

impl Proxy {
    /// A proxy with nothing set, as HAProxy's `init_new_proxy` leaves it.
    pub fn new(name: &str, caps: Caps, span: Span) -> Self {
        Proxy {
            name: name.to_string(),
            caps,
            span,
            id: None,
            disabled: false,
            description: None,
            mode: Mode::Tcp,
            mode_set: false,
            binds: Vec::new(),
            maxconn: None,
            backlog: None,
            rate_limit_sessions: None,
            max_session_srv_conns: None,
            default_backend: None,
            use_backend: Vec::new(),
            use_server: Vec::new(),
            monitor_uri: None,
            monitor_fail: Vec::new(),
            capture_cookie: None,
            captures: Vec::new(),
            clitcpka: TcpKeepAlive::default(),
            servers: Vec::new(),
            default_server: ServerOpts::default(),
            balance: Balance::RoundRobin,
            balance_set: false,
            hash_type: HashType::default(),
            hash_balance_factor: None,
            fullconn: None,
            retries: None,
            retry_on: None,
            redispatch: None,
            cookie: None,
            dynamic_cookie_key: None,
            rdp_cookie: None,
            persist_rules: Vec::new(),
            stick_table: None,
            stick_rules: Vec::new(),
            checks: CheckConfig::default(),
            forwardfor: None,
            originalto: None,
            http_reuse: HttpReuse::Safe,
            send_name_header: None,
            max_keep_alive_queue: None,
            dispatch: None,
            transparent: false,
            source: None,
            server_state_file_name: None,
            load_server_state: None,
            srvtcpka: TcpKeepAlive::default(),
            external_check_command: None,
            external_check_path: None,
            fcgi_app: None,
            timeouts: Timeouts::default(),
            options: OptionFlags::default(),
            log: LogSpec::default(),
            acls: Vec::new(),
            http_request: Vec::new(),
            http_response: Vec::new(),
            http_after_response: Vec::new(),
            tcp_request_connection: Vec::new(),
            tcp_request_session: Vec::new(),
            tcp_request_content: Vec::new(),
            tcp_request_inspect_delay: None,
            tcp_response_content: Vec::new(),
            tcp_response_inspect_delay: None,
            redirects: Vec::new(),
            error_pages: BTreeMap::new(),
            error_rules: Vec::new(),
            stats: StatsSpec::default(),
            unique_id_format: None,
            unique_id_format_line: None,
            unique_id_header: None,
            filters: Vec::new(),
            ignored: Vec::new(),
            compression: None,
            email_alert: EmailAlert::default(),
        }
    }

    pub fn is_defaults(&self) -> bool {
        self.caps.defaults
    }
    pub fn is_frontend(&self) -> bool {
        self.caps.frontend && !self.caps.defaults
    }
    pub fn is_backend(&self) -> bool {
        self.caps.backend && !self.caps.defaults
    }
    /// `frontend 'fe'`, `backend 'be'`, `proxy 'px'` as HAProxy words it in messages.
    pub fn describe(&self) -> String {
        format!("{} '{}'", self.caps.type_name(), self.name)
    }
}

/// `global` section settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Global {
    pub daemon: bool,
    pub master_worker: bool,
    /// `master-worker no-exit-on-failure`: a crashing worker does not take the others down.
    pub master_worker_no_exit_on_failure: bool,
    pub nbthread: Option<u32>,
    pub maxconn: Option<u32>,
    pub pidfile: Option<String>,
    pub user: Option<String>,
    pub group: Option<String>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub chroot: Option<String>,
    pub log: Vec<LogTarget>,
    pub log_tag: Option<String>,
    pub log_send_hostname: Option<String>,
    pub node: Option<String>,
    pub description: Option<String>,
    pub stats_sockets: Vec<Bind>,
    pub stats_timeout: Option<u32>,
    pub stats_maxconn: Option<u32>,
    pub server_state_file: Option<String>,
    pub server_state_base: Option<String>,
    pub hard_stop_after: Option<u32>,
    pub spread_checks: Option<u32>,
    pub max_spread_checks: Option<u32>,
    pub quiet: bool,
    pub zero_warning: bool,
    pub strict_limits: bool,
    pub ca_base: Option<String>,
    pub crt_base: Option<String>,
    /// What `setenv`, `presetenv`, `unsetenv` and `resetenv` did while the files were read.
    pub env: crate::config::env::EnvOverlay,
    pub tune: BTreeMap<String, String>,
    /// Settings accepted for syntax whose effect haproxide does not implement yet.
    pub other: Vec<(String, Vec<String>)>,
    /// Settings accepted that have no observable effect in haproxide (performance tuning):
    /// `-c` notes them under HAProxy's output, a start goes ahead.
    pub ignored: Vec<Unsupported>,
    /// Numeric settings as HAProxy stores them, by keyword: its "already specified" checks
    /// compare the stored value with zero.
    pub numeric: BTreeMap<String, i64>,
    /// `expose-experimental-directives` was seen.
    pub expose_experimental: bool,
    /// `localpeer <name>`.
    pub localpeer: Option<String>,
    /// A `peers` section was seen (a later `localpeer` is ignored).
    pub peers_seen: bool,
    pub cluster_secret: bool,
    pub external_check: bool,
    /// `pp2-never-send-local`.
    pub pp2_never_send_local: bool,
    /// `unix-bind prefix <path>`.
    pub unix_bind_prefix: Option<String>,
    /// `httpclient.resolvers.id`, checked once every resolvers section is known.
    pub httpclient_resolvers: Option<String>,
    /// `httpclient.ssl.ca-file`, opened after parsing.
    pub httpclient_ca_file: Option<String>,
    /// `h1-case-adjust-file`, read after parsing.
    pub h1_case_adjust_file: Option<String>,
    /// `tune.ssl.capture-buffer-size` (or its deprecated name) was set.
    pub ssl_capture_set: bool,
    /// `ssl-propquery`, applied when the HTTP client's SSL context is made.
    pub ssl_propquery: Option<String>,
}

/// HAProxy's buffer and header limits as they apply once the configuration is read:
/// `tune.bufsize` (16384), `tune.maxrewrite` (1024, at most half the buffer) and
/// `tune.http.maxhdr` (101).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buffers {
    pub bufsize: u32,
    pub maxrewrite: u32,
    pub maxhdr: u32,
}

impl Global {
    /// The effective buffer settings: HAProxy keeps `tune.maxrewrite` below half the buffer
    /// (an explicit value too: 9000 with 16384 acts as 8192).
    pub fn buffers(&self) -> Buffers {
        let get = |k: &str| self.numeric.get(k).copied().filter(|&v| v > 0);
        let bufsize = get("tune.bufsize").unwrap_or(16384).min(i64::from(u32::MAX)) as u32;
        let maxrewrite = match self.numeric.get("tune.maxrewrite") {
            Some(&v) => v.clamp(0, i64::from(u32::MAX)) as u32,
            None => 1024,
        };
        let maxrewrite = if maxrewrite >= bufsize / 2 { bufsize / 2 } else { maxrewrite };
        let maxhdr = get("tune.http.maxhdr").unwrap_or(101) as u32;
        Buffers { bufsize, maxrewrite, maxhdr }
    }
}

/// The running process's buffer settings (HAProxy's `global.tune`), set once by the engine at
/// start for the code that has no engine at hand (payload fetches, checks, the stats socket).
static RUNNING_BUFSIZE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(16384);

impl Buffers {
    /// Make these the running process's settings.
    pub fn set_running(self) {
        RUNNING_BUFSIZE.store(self.bufsize, std::sync::atomic::Ordering::Relaxed);
    }
    /// The running process's `tune.bufsize` (16384 before a start).
    pub fn running_bufsize() -> usize {
        RUNNING_BUFSIZE.load(std::sync::atomic::Ordering::Relaxed) as usize
    }
}

/// Sections other than global and proxies: their accepted directives (words as written), and
/// what their checks needed in typed form. None of them is run yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuxSection {
    pub kind: &'static str,
    pub name: String,
    pub span: Span,
    pub entries: Vec<(Span, Vec<String>)>,
    pub detail: AuxDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AuxDetail {
    #[default]
    None,
    Userlist(UserlistSpec),
    Peers(PeersSpec),
    Resolvers(ResolversSpec),
    Mailers(MailersSpec),
    HttpErrors(HttpErrorsSpec),
    Ring(RingSpec),
    Cache(CacheSpec),
    Program(ProgramSpec),
    FcgiApp(FcgiAppSpec),
    LogForward(LogForwardSpec),
}

/// A `userlist` user: name, password (hashed or not), and the groups it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSpec {
    pub name: String,
    pub password: Option<String>,
    pub insecure: bool,
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSpec {
    pub name: String,
    pub users: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserlistSpec {
    pub users: Vec<UserSpec>,
    pub groups: Vec<GroupSpec>,
}

/// A `peer` (or `server`) line of a `peers` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerSpec {
    pub name: String,
    pub addr: Option<String>,
    pub local: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeersSpec {
    pub peers: Vec<PeerSpec>,
    /// `table <name>` lines.
    pub tables: Vec<String>,
    pub disabled: bool,
    /// The local peer is declared (by name: `localpeer` or the host name).
    pub has_local: bool,
    /// The local peer name in force when the section was read.
    pub local_name: String,
    /// `bind <addr>` (the 2.x form: the local peer is then a `server` line without address).
    pub bind: Option<(String, Span)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResolversSpec {
    /// Nameservers: name and address (`parse-resolv-conf` adds those of /etc/resolv.conf).
    pub nameservers: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailersSpec {
    pub mailers: Vec<(String, String)>,
    pub timeout_mail: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpErrorsSpec {
    /// Each `errorfile` line's status and message, as read (a later line for a status wins).
    pub errorfiles: Vec<ErrorFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RingSpec {
    pub size: u64,
    pub maxlen: u64,
    pub format: Option<String>,
    pub description: Option<String>,
    pub backing_file: Option<String>,
    pub servers: usize,
    /// The servers parsed without error: name, address, `log-proto octet-count`.
    pub server_list: Vec<(String, Address, bool)>,
    pub timeout_connect: Option<u32>,
    pub timeout_server: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CacheSpec {
    /// `total-max-size`, in megabytes.
    pub total_max_size: u64,
    pub max_object_size: Option<u64>,
    pub max_age: Option<u32>,
    pub process_vary: bool,
    pub max_secondary_entries: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProgramSpec {
    pub command: Option<Vec<String>>,
    pub user: Option<String>,
    pub group: Option<String>,
    pub start_on_reload: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FcgiAppSpec {
    pub docroot: Option<String>,
    pub index: Option<String>,
    pub max_reqs: Option<u32>,
    pub mpxs_conns: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogForwardSpec {
    pub binds: usize,
    pub dgram_binds: usize,
    /// The addresses of `bind` (stream) and `dgram-bind` lines parsed without error.
    pub stream_addrs: Vec<Address>,
    pub dgram_addrs: Vec<Address>,
    pub targets: Vec<LogTarget>,
    pub maxconn: Option<u32>,
    pub backlog: Option<u32>,
    pub timeout_client: Option<u32>,
}

/// Something valid for HAProxy that haproxide cannot run yet: refused at start with
/// "not supported yet", and reported as a warning by `-c`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    pub span: Span,
    pub what: String,
}

/// The whole validated configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    pub global: Global,
    /// Frontends, backends and listens, in configuration order.
    pub proxies: Vec<Proxy>,
    pub userlists: Vec<AuxSection>,
    pub peers: Vec<AuxSection>,
    /// Tables of `peers` sections (`table` lines), named `<peers>/<table>`.
    pub peers_tables: Vec<(String, StickTableSpec)>,
    pub resolvers: Vec<AuxSection>,
    pub mailers: Vec<AuxSection>,
    pub http_errors: Vec<AuxSection>,
    pub rings: Vec<AuxSection>,
    pub caches: Vec<AuxSection>,
    pub programs: Vec<AuxSection>,
    pub fcgi_apps: Vec<AuxSection>,
    pub log_forwards: Vec<AuxSection>,
    pub unsupported: Vec<Unsupported>,
}

impl Config {
    pub fn proxy(&self, name: &str) -> Option<&Proxy> {
        self.proxies.iter().find(|p| p.name == name)
    }
    pub fn backend(&self, name: &str) -> Option<&Proxy> {
        self.proxies.iter().find(|p| p.name == name && p.caps.backend)
    }
}
