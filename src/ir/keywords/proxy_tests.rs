//! Unit tests of the proxy keyword families, each against HAProxy 2.6.12's measured messages.

use crate::config::diag::{Diags, Severity};
use crate::config::parse::{self, Source};
use crate::ir::types::Config;

/// Lower (and validate when parsing found no error) a configuration; returns the diagnostics as
/// `SEVERITY msg` lines (locations included, pids and extras left out) and the IR.
pub fn run(text: &str) -> (Vec<String>, Config) {
    let src = Source { name: "t.cfg".into(), text: text.as_bytes().to_vec() };
    let mut diags = Diags::default();
    let lowered = crate::ir::lower::lower(&parse::parse(&[src]), &mut diags);
    let mut cfg = lowered.config;
    if !diags.has_errors() {
        crate::ir::validate::validate(&mut cfg, &mut diags);
    }
    let lines = diags
        .list
        .iter()
        .filter(|d| matches!(d.severity, Severity::Alert | Severity::Warning))
        .map(|d| format!("{} {}", if d.severity == Severity::Alert { "ALERT" } else { "WARNING" }, d.headline()))
        .collect();
    (lines, cfg)
}

const HEAD: &str = "defaults\n    mode http\n    timeout connect 5s\n    timeout client 5s\n    timeout server 5s\n";

/// The configuration HEAD + a listen section with `body`, whose first line is line 9.
fn listen(body: &str) -> (Vec<String>, Config) {
    run(&format!("{HEAD}listen li\n    bind 127.0.0.1:2\n    server s2 127.0.0.1:80\n{body}\n"))
}

fn first_alert(lines: &[String]) -> Option<&str> {
    lines.iter().find(|l| l.starts_with("ALERT")).map(String::as_str)
}

#[track_caller]
fn alert_is(body: &str, want: &str) {
    let (lines, _) = listen(body);
    assert_eq!(first_alert(&lines), Some(format!("ALERT config : {want}").as_str()), "for {body:?}: {lines:?}");
}

#[track_caller]
fn clean(body: &str) {
    let (lines, _) = listen(body);
    assert!(lines.is_empty(), "for {body:?}: {lines:?}");
}

#[test]
fn core_keywords() {
    alert_is("    id 0", "parsing [t.cfg:9]: custom id has to be > 0.");
    alert_is("    id", "parsing [t.cfg:9]: 'id' expects an integer argument.");
    alert_is(
        "    mode health",
        "parsing [t.cfg:9] : 'mode health' doesn't exist anymore. Please use 'http-request return status 200' instead.",
    );
    alert_is("    mode log", "parsing [t.cfg:9] : unknown proxy mode 'log'.");
    alert_is("    disabled x", "parsing [t.cfg:9] : 'disabled' cannot handle unexpected argument 'x'.");
    alert_is("    backlog", "parsing [t.cfg:9] : 'backlog' expects an integer argument.");
    alert_is("    retries 3 4", "parsing [t.cfg:9] : 'retries' cannot handle unexpected argument '4'.");
    alert_is("    bind-process abc", "parsing [t.cfg:9] : bind-process : 'abc' is not a valid number/range.");
    clean("    backlog abc\n    maxconn 10\n    fullconn 5");
    let (lines, _) = listen("    balancee roundrobin");
    assert_eq!(
        first_alert(&lines),
        Some("ALERT config : parsing [t.cfg:9] : unknown keyword 'balancee' in 'listen' section; did you mean 'balance' maybe ?")
    );
}

#[test]
fn no_and_default_prefixes() {
    // The keyword is still parsed after the negation error.
    let (lines, _) = listen("    no maxconn");
    assert_eq!(lines[0], "ALERT config : parsing [t.cfg:9]: negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping.");
    assert_eq!(lines[1], "ALERT config : parsing [t.cfg:9] : 'maxconn' expects an integer argument.");
    // `default` repeats the last word.
    alert_is(
        "    default option httpclose",
        "parsing [t.cfg:9] : 'option httpclose' cannot handle unexpected argument 'httpclose'.",
    );
    alert_is("    no option foo", "parsing [t.cfg:9]: negation/default is not supported for option 'foo'.");
    alert_is("    no option httplog", "parsing [t.cfg:9]: negation/default is not supported for option 'httplog'.");
    clean("    no option redispatch\n    default option redispatch\n    no option httpclose\n    no log");
}

#[test]
fn options() {
    alert_is("    option forceclose", "parsing [t.cfg:9]: option 'forceclose' is not supported any more since HAProxy 2.0, please just remove it, or use 'option httpclose' if absolutely needed.");
    alert_is(
        "    option dontlog-normal x",
        "parsing [t.cfg:9] : 'option dontlog-normal' cannot handle unexpected argument 'x'.",
    );
    alert_is(
        "    option forwardfor except",
        "parsing [t.cfg:9] : 'option forwardfor except' expects <address>[/mask] as argument.",
    );
    alert_is(
        "    option forwardfor bogus",
        "parsing [t.cfg:9] : 'option forwardfor' only supports optional values: 'except', 'header' and 'if-none'.",
    );
    alert_is("    option http-restrict-req-hdr-names", "parsing [t.cfg:9] : missing parameter. option 'http-restrict-req-hdr-names' expects 'preserve', 'reject' or 'delete' option.");
    alert_is("    option httplog x", "parsing [t.cfg:9] : keyword 'httplog' only supports option 'clf'.");
    alert_is(
        "    option http-drop-request-trailers",
        "parsing [t.cfg:9] : unknown option 'http-drop-request-trailers'; did you mean 'http-buffer-request' maybe ?",
    );
    let (_, cfg) = listen("    option http-server-close\n    option http-keep-alive\n    no option http-server-close");
    let li = cfg.proxy("li").unwrap();
    assert!(li.options.is_on("http-keep-alive") && !li.options.is_on("http-server-close"));
    // Capability warnings name the option alone.
    let (lines, _) = run(&format!("{HEAD}frontend fe\n    bind :8080\n    option abortonclose\n"));
    assert_eq!(lines, ["WARNING config : parsing [t.cfg:8] : 'abortonclose' ignored because frontend 'fe' has no backend capability."]);
}

#[test]
fn timeouts_and_registered_keywords() {
    alert_is(
        "    timeout client 5s x",
        "parsing [t.cfg:9] : 'timeout client' : unexpected extra argument 'x' after value '5s'.",
    );
    alert_is("    timeout client abc", "parsing [t.cfg:9] : unexpected character 'a' in 'timeout client'");
    alert_is("    timeout clitimeout 5s", "parsing [t.cfg:9] : the 'clitimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout client'.");
    alert_is("    srvtimeout 5s", "parsing [t.cfg:9] : the 'srvtimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout server'.");
    alert_is(
        "    rate-limit sessions abc",
        "parsing [t.cfg:9] : 'rate-limit sessions' : unexpected character 'a' in integer value 'abc'",
    );
    alert_is(
        "    max-keep-alive-queue",
        "parsing [t.cfg:9] : 'max-keep-alive-queue' expects expects an integer value (or -1 to disable)",
    );
    alert_is("    retry-on bogus", "parsing [t.cfg:9] : 'retry-on': unknown keyword 'bogus'");
    alert_is("    clitcpka-idle abc", "parsing [t.cfg:9] : unexpected character 'a' in argument to <clitcpka-idle>.");
    let (lines, _) = listen("    timeout client 6s\n    timeout client 7s");
    assert_eq!(
        lines,
        ["WARNING config : parsing [t.cfg:10] : overwriting 'timeout client' which was already specified"]
    );
    let (lines, _) = run(&format!("{HEAD}backend be\n    timeout client 3s\n"));
    assert_eq!(lines, ["WARNING config : parsing [t.cfg:7] : 'timeout client' will be ignored because backend 'be' has no frontend capability"]);
}

#[test]
fn balance() {
    alert_is("    balance random(0)", "parsing [t.cfg:9] : balance random : number of draws must be at least 1.");
    alert_is("    balance hdr()", "parsing [t.cfg:9] : balance hdr requires an http header field name.");
    alert_is("    balance uri len", "parsing [t.cfg:9] : balance uri : 'len' expects a positive integer (got '').");
    alert_is("    balance hash", "parsing [t.cfg:9] : balance hash requires a sample expression.");
    alert_is("    hash-balance-factor 50", "parsing [t.cfg:9] : 'hash-balance-factor' must be 0 or greater than 100.");
    clean("    balance random 3\n    balance randomness\n    balance roundrobin x");
}

#[test]
fn persistence() {
    alert_is("    cookie SRV bogus", "parsing [t.cfg:9] : 'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options.");
    alert_is(
        "    cookie SRV insert rewrite",
        "parsing [t.cfg:9] : cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.",
    );
    alert_is(
        "    cookie SRV preserve",
        "parsing [t.cfg:9] : cookie 'preserve' requires at least 'insert' or 'indirect'.",
    );
    alert_is("    stick-table type ip", "parsing [t.cfg:9] : stick-table: missing size.");
    alert_is("    stick-table size 1k", "parsing [t.cfg:9] : stick-table: missing type.");
    alert_is(
        "    stick-table type ip size 1k store gpc0,bogus",
        "parsing [t.cfg:9] : stick-table: unknown store option 'bogus'.",
    );
    alert_is(
        "    stick-table type ip size 1k store http_req_rate",
        "parsing [t.cfg:9] : stick-table: missing argument to store option 'http_req_rate'.",
    );
    alert_is("    stick bogus src", "parsing [t.cfg:9] : 'stick' expects 'on', 'match', or 'store'.");
    alert_is("    stick on src table nosuch", "Proxy 'li': unable to find stick-table 'nosuch'.");
    alert_is("    persist rdp-cookie(", "parsing [t.cfg:9] : persist rdp-cookie(name)' requires an rdp cookie name.");
    alert_is(
        "    force-persist",
        "parsing [t.cfg:9] : 'force-persist' requires either 'if' or 'unless' followed by a condition.",
    );
    clean("    cookie SRV insert indirect nocache domain .example.com maxidle 30m\n    stick-table type string len 32 size 100k expire 30m store gpc0,http_req_rate(10s)\n    stick on src");
    let (lines, _) =
        run(&format!("{HEAD}backend be\n    stick-table type ip size 1\nbackend be2\n    stick match src table be\n"));
    assert!(lines.is_empty(), "{lines:?}");
}

/// `stick store-response` runs; stick and persistence rules using fetches the engine cannot
/// evaluate are recorded as not supported instead of never matching.
#[test]
fn stick_rules_the_engine_cannot_run_are_refused() {
    let (_, cfg) = listen(
        "    stick-table type string len 32 size 10\n    stick store-response res.cook(SID)\n    stick match req.cook(SID)",
    );
    assert!(cfg.unsupported.is_empty(), "{:?}", cfg.unsupported);
    let (_, cfg) = listen(
        "    stick-table type string size 10\n    stick on req.body\n    stick on src if { req.body_len gt 1 }\n    force-persist if { req.body -m found }",
    );
    let what: Vec<&str> = cfg.unsupported.iter().map(|u| u.what.as_str()).collect();
    assert_eq!(
        what,
        ["fetch 'req.body' in 'force-persist'", "fetch 'req.body' in 'stick on'", "fetch 'req.body_len' in 'stick on'"]
    );
}

#[test]
fn stats_capture_and_errors() {
    alert_is("    stats", "parsing [t.cfg:9]: missing keyword in 'stats', expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'.");
    alert_is("    stats uri", "parsing [t.cfg:9] : 'uri' needs an URI prefix.");
    alert_is(
        "    stats refresh abc",
        "parsing [t.cfg:9]: unexpected character 'a' in argument to stats refresh interval.",
    );
    alert_is("    capture cookie c", "parsing [t.cfg:9] : 'capture' expects 'cookie' <cookie_name> 'len' <len>.");
    alert_is(
        "    capture request header Host",
        "parsing [t.cfg:9] : 'capture request' expects 'header' <header_name> 'len' <len>.",
    );
    alert_is(
        "    declare capture request len abc",
        "parsing [t.cfg:9] : 'declare capture': cannot parse the length 'len'.",
    );
    alert_is("    errorfile 999 /etc/hosts", "parsing [t.cfg:9] : errorfile : status code '999' not handled.");
    alert_is("    errorfile 503 /nonexistent", "parsing [t.cfg:9] : errorfile : error opening file '/nonexistent'.");
    alert_is("    errorloc 503", "parsing [t.cfg:9] : errorloc : expects <status_code> and <url> as arguments.");
    alert_is("    http-error status 999", "parsing [t.cfg:9] : http-error : Unexpected status code '999'");
    alert_is("    errorfiles nosuch", "proxy 'li': unknown http-errors section 'nosuch' (at t.cfg:9).");
    clean("    stats enable\n    stats uri /\n    stats auth admin\n    capture cookie c len 10\n    errorloc302 503 http://x/");
    let (lines, _) = run(&format!("{HEAD}defaults\n    stats show-desc\n"));
    assert_eq!(lines, ["WARNING config : parsing [t.cfg:7]: 'show-desc' requires a parameter or 'desc' to be set in the global section."]);
}

#[test]
fn logging() {
    alert_is(
        "    log 127.0.0.1:514",
        "parsing [t.cfg:9] : log : expects <address> and <facility> or global as arguments",
    );
    alert_is(
        "    log 127.0.0.1:514 len 0 local0",
        "parsing [t.cfg:9] : log : invalid log length '0', must be between 80 and 65535",
    );
    alert_is(
        "    log 127.0.0.1:514 sample 1:abc local0",
        "parsing [t.cfg:9] : log : wrong sample size 'abc' for sample range '1'",
    );
    alert_is(
        "    log-format a b",
        "parsing [t.cfg:9] : log-format expects only one argument, don't forget to escape spaces!",
    );
    alert_is("    unique-id-header", "parsing [t.cfg:9] : unique-id-header expects an argument.");
    alert_is("    log-format %zz", "Parsing [t.cfg:9]: failed to parse log-format : no such format variable 'zz'. If you wanted to emit the '%' character verbatim, you need to use '%%'.");
    let (lines, _) = run("defaults\n    option httplog\n    option tcplog\n");
    assert_eq!(lines, ["WARNING config : parsing [t.cfg:3]: 'option tcplog' overrides previous 'option httplog' in 'defaults' section."]);
    // `log global` copies the global targets declared so far: none here, so the format warns.
    let cfg = "defaults\n    mode http\n    log global\n    option httplog\n    timeout connect 5s\n    timeout client 5s\n    timeout server 5s\nfrontend fe\n    bind :8080\nglobal\n    log 127.0.0.1 local0\n";
    let (lines, _) = run(cfg);
    assert_eq!(lines, ["WARNING config : log format ignored for frontend 'fe' since it has no log address."]);
    let (lines, _) = run(&format!("global\n    log 127.0.0.1 local0\n{}", &cfg[..cfg.rfind("global").unwrap()]));
    assert!(lines.is_empty(), "{lines:?}");
}

#[test]
fn removed_keywords() {
    alert_is("    reqadd X-a:\\ b", "parsing [t.cfg:9] : The 'reqadd' directive is not supported anymore since HAProxy 2.1. Use 'http-request add-header' instead.");
    alert_is("    rspdel x", "parsing [t.cfg:9] : The 'rspdel' directive is not supported anymore since HAProxy 2.1. Use 'http-response del-header' .");
    alert_is(
        "    reqdeny x",
        "parsing [t.cfg:9] : The 'reqdeny' not supported anymore since HAProxy 2.1. Use 'http-request deny' instead.",
    );
    alert_is("    redispatch", "parsing [t.cfg:9] : keyword 'redispatch' directive is not supported anymore since HAProxy 2.1. Use 'option redispatch'.");
    alert_is(
        "    grace 1s",
        "parsing [t.cfg:9]: the 'grace' keyword is not supported any more since HAProxy version 2.5.",
    );
    alert_is("    monitor-net 10.0.0.0/8", "parsing [t.cfg:9] : 'monitor-net' doesn't exist anymore. Please use 'http-request return status 200 if { src 10.0.0.0/8 }' instead.");
    alert_is("    usesrc client", "parsing [t.cfg:9] : 'usesrc' only allowed after a 'source' statement.");
}

#[test]
fn misc_keywords() {
    alert_is("    compression algo bogus", "parsing [t.cfg:9] : 'compression' : 'bogus' is not a supported algorithm.");
    alert_is("    compression algo", "parsing [t.cfg:9] : parsing [t.cfg:9] : 'compression' expects <algorithm>.");
    alert_is("    email-alert level bogus", "parsing [t.cfg:9] : unknown log level 'level' after 'bogus'");
    alert_is(
        "    email-alert from a\n    email-alert to b\n    email-alert mailers m",
        "Proxy 'li': unable to find mailers 'm'.",
    );
    alert_is(
        "    external-check command foo",
        "Proxy 'li': 'external-check command' does not have a leading '/' and 'external-check path' is not set.",
    );
    alert_is(
        "    http-reuse bogus",
        "parsing [t.cfg:9] : 'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'.",
    );
    alert_is(
        "    load-server-state-from-file x",
        "parsing [t.cfg:9] : 'load-server-state-from-file' expects 'global', 'local' or 'none'. Got 'x'",
    );
    alert_is(
        "    source 1.2.3.4 bogus",
        "parsing [t.cfg:9] : 'source' only supports optional keywords 'interface' and 'usesrc'.",
    );
    alert_is("    dispatch 127.0.0.1", "parsing [t.cfg:9] : 'dispatch' : missing port specification in '127.0.0.1'");
    alert_is("    transparent\n    balance roundrobin", "proxy 'li' cannot use both transparent and balance mode.");
    clean("    compression algo gzip\n    compression type text/html\n    http-reuse always\n    server-state-file-name\n    source 0.0.0.0 usesrc clientip");
}

#[test]
fn tracking_chains_close_on_their_last_server() {
    let (lines, _) = run(&format!(
        "{HEAD}backend be\n    server s1 127.0.0.1:80 check\n    server s5 127.0.0.1:84 track s6\n    server s6 127.0.0.1:85 track s5\n    server s7 127.0.0.1:85 track s8\n    server s8 127.0.0.1:85\n"
    ));
    assert_eq!(
        lines[..2],
        [
            "ALERT config : [t.cfg:9] : 'server be/s6' : unable to track be/s5 as it belongs to a tracking chain looping back to be/s6.",
            "ALERT config : [t.cfg:10] : 'server be/s7' : unable to use be/s8 for tracking as it does not have any check nor agent enabled.",
        ]
    );
}

#[test]
fn post_parse_order_and_warnings() {
    // Missing timeouts only for frontends without `client` and backends with servers.
    let (lines, _) = run(
        "frontend fe\n    bind :8080\n    default_backend be\nbackend be\n    server s1 127.0.0.1:80\nbackend empty\n",
    );
    let missing: Vec<&String> = lines.iter().filter(|l| l.contains("missing timeouts")).collect();
    assert_eq!(
        missing,
        ["WARNING config : missing timeouts for frontend 'fe'.", "WARNING config : missing timeouts for backend 'be'."]
    );
    // An HTTP frontend cannot switch to a TCP backend; the reverse is allowed.
    let (lines, _) =
        run(&format!("{HEAD}frontend fe\n    bind :8080\n    default_backend be\nbackend be\n    mode tcp\n"));
    assert!(first_alert(&lines).unwrap().contains("tries to use incompatible tcp backend 'be'"), "{lines:?}");
    let (lines, _) = run("defaults\n    timeout client 1s\nfrontend fe\n    bind :8080\n    default_backend be\nbackend be\n    mode http\n");
    assert!(lines.is_empty(), "{lines:?}");
    // Duplicate names are refused, except between servers with an explicit id.
    let (lines, _) = run(&format!("{HEAD}backend be\n    server s1 127.0.0.1:80\n    server s1 127.0.0.1:81\n    server s2 127.0.0.1:82 id 5\n    server s2 127.0.0.1:83 id 6\n"));
    assert_eq!(lines[0], "ALERT config : parsing [t.cfg:8] : backend 'be', another server named 's1' was already defined at line 7, please use distinct names.");
    assert_eq!(lines.len(), 1);
    // HTTP settings in a TCP proxy are ignored with warnings.
    let (lines, _) = run(
        "defaults\n    timeout client 1s\n    option httplog\n    cookie SRV insert\nfrontend fe\n    bind :8080\n",
    );
    assert_eq!(lines, [
        "WARNING config : parsing [t.cfg:3] : 'option httplog' not usable with frontend 'fe' (needs 'mode http'). Falling back to 'option tcplog'.",
        "WARNING config : log format ignored for frontend 'fe' since it has no log address.",
    ]);
}

#[test]
fn ssl_preparation() {
    let (lines, _) = run(&format!(
        "{HEAD}backend be\n    server s1 127.0.0.1:443 ssl\n    server s2 127.0.0.1:443 ssl verify none ciphers zzz\n"
    ));
    assert!(lines[0].starts_with(
        "ALERT config : [t.cfg:7] : 'server be/s1' : verify is enabled by default but no CA file specified."
    ));
    assert_eq!(lines[1], "ALERT config : [t.cfg:8] : 'server be/s2' : unable to set SSL cipher list to 'zzz'.");
    let (lines, _) = run(&format!("{HEAD}frontend fe\n    bind :443 ssl\n"));
    assert_eq!(
        lines,
        ["ALERT config : Proxy 'fe': no SSL certificate specified for bind ':443' at [t.cfg:7] (use 'crt')."]
    );
}

#[test]
fn addresses() {
    alert_is(
        "    server s3 127.0.0.1:abc",
        "[t.cfg:9] : 'server li/s3' : invalid character 'a' in port number 'abc' in '127.0.0.1:abc'\n",
    );
    alert_is(
        "    server s3 udp@127.0.0.1:80",
        "[t.cfg:9] : 'server li/s3' : dgram-type address not acceptable in 'udp@127.0.0.1:80'\n",
    );
    alert_is(
        "    server s3 127.0.0.1:80-90",
        "[t.cfg:9] : 'server li/s3' : port range not permitted here in '127.0.0.1:80-90'",
    );
    alert_is("    bind :80-abc", "parsing [t.cfg:9] : 'bind' : invalid port 'abc'");
    alert_is(
        "    bind :80,,:81",
        "parsing [t.cfg:9] : 'bind' : '' resolves to an empty address (environment variable missing?)",
    );
    // Unknown prefixes and broken brackets are names for servers, resolved later.
    let (_, cfg) = listen("    server s3 bogus@1.2.3.4:80");
    assert!(
        matches!(&cfg.proxy("li").unwrap().servers[1].addr.host, crate::ir::addr::Host::Unresolved(h) if h == "bogus@1.2.3.4")
    );
}

#[test]
fn defaults_inheritance() {
    let (lines, cfg) = run(
        "defaults base\n    mode http\n    timeout client 5s\n    timeout server 6s\n    maxconn 100\n    balance leastconn\n    cookie SRV insert\n\
         frontend fe from base\n    bind :8080\nbackend be from base\nlisten li from base\n    bind :8081\n",
    );
    assert!(lines.iter().all(|l| l.starts_with("WARNING")), "{lines:?}");
    let fe = cfg.proxy("fe").unwrap();
    assert_eq!((fe.timeouts.client, fe.timeouts.server, fe.maxconn), (Some(5000), None, Some(100)));
    assert!(fe.cookie.is_none() && fe.balance == crate::ir::types::Balance::RoundRobin);
    let be = cfg.proxy("be").unwrap();
    assert_eq!((be.timeouts.client, be.timeouts.server, be.maxconn), (None, Some(6000), None));
    assert!(be.cookie.is_some() && be.balance == crate::ir::types::Balance::LeastConn);
    let li = cfg.proxy("li").unwrap();
    assert!(li.cookie.is_some() && li.maxconn == Some(100) && li.mode == crate::ir::types::Mode::Http);
    // A defaults section used both ways is only reported (an alert that does not fail).
    let (lines, _) = run(
        "defaults base\n    timeout client 1s\nfrontend fe from base\n    bind :8080\nfrontend fe2\n    bind :8081\n",
    );
    assert!(lines[0].contains("is explicitly referenced by another proxy and implicitly used here"), "{lines:?}");
}

#[test]
fn server_and_bind_options() {
    alert_is(
        "    server s3 127.0.0.1:80 weight 300",
        "[t.cfg:9] : 'server li/s3' : weight of server s3 is not within 0 and 256 (300)..",
    );
    alert_is("    server s3 127.0.0.1:80 nosuchopt", "[t.cfg:9] : 'server li/s3' : unknown keyword 'nosuchopt'.");
    alert_is("    server s3 127.0.0.1:80 id 0", "[t.cfg:9] : 'server li/s3' : 'id' : custom id has to be > 0.");
    alert_is(
        "    default-server 127.0.0.1:80",
        "[t.cfg:9] : unknown keyword '127.0.0.1:80'. Hint: no address was expected for this server.",
    );
    // atoi() bounds: a lone number n is 1..n, `x-3` is 0..3.
    alert_is("    server-template w 0 127.0.0.1:80", "[t.cfg:9] : Wrong server-template number or range arg '0'.");
    alert_is("    server-template w -2 127.0.0.1:80", "[t.cfg:9] : Wrong server-template number or range arg '-2'.");
    alert_is("    server-template w 5- 127.0.0.1:80", "[t.cfg:9] : Wrong server-template number or range arg '5-'.");
    let (_, cfg) = listen("    server-template w x-2 127.0.0.1:80");
    let names: Vec<_> = cfg.proxies[0].servers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["s2", "w0", "w1", "w2"]);
    // Not checked by HAProxy: atol() of anything.
    clean("    server s3 127.0.0.1:80 maxconn x");
    alert_is("    bind :81 backlog", "parsing [t.cfg:9] : 'bind :81' in section 'listen' : 'backlog' : missing value");
    alert_is(
        "    bind :81 nosuchopt",
        "parsing [t.cfg:9] : 'bind :81' in section 'listen': unknown keyword 'nosuchopt'.",
    );
    alert_is(
        "    bind :81 mode 8x",
        "parsing [t.cfg:9] : 'bind :81' in section 'listen' : 'mode' : missing or invalid mode '8x' (octal integer expected)",
    );
}

#[test]
fn timer_characters_after_the_unit_warn() {
    let warn = "WARNING config : unexpected character 'e' after the timer value '30sec', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. This will be reported as an error in next versions.";
    let (lines, cfg) = listen("    timeout queue 30sec");
    assert_eq!(lines, [warn]);
    assert_eq!(cfg.proxies[0].timeouts.queue, Some(30_000));
    let (lines, _) = listen("    server s3 127.0.0.1:80 slowstart 30sec");
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("WARNING config : [t.cfg:9] : 'server li/s3' : unexpected character 'e'"),
        "{lines:?}"
    );
    alert_is("    timeout queue 10ux", "parsing [t.cfg:9] : unexpected character 'u' in 'timeout queue'");
}

#[test]
fn http_error_replies() {
    alert_is(
        "    http-error status 429 content-type text/plain file /nonexistent",
        "parsing [t.cfg:9] : http-error : error opening file '/nonexistent'",
    );
    alert_is(
        "    http-error status 503 string x",
        "parsing [t.cfg:9] : http-error : a content type must be defined when non-empty payload is configured",
    );
    alert_is(
        "    http-error status 503 string x content-type text/plain string y",
        "parsing [t.cfg:9] : http-error : unexpected 'string' argument, 'string' already defined",
    );
    alert_is("    http-error status 302", "parsing [t.cfg:9] : http-error: status code '302' not handled.");
    alert_is(
        "    http-error status 503 content-type text/plain lf-string %zz",
        "parsing [t.cfg:9] : http-error : no such format variable 'zz'. If you wanted to emit the '%' character verbatim, you need to use '%%'",
    );
    let (lines, _) = listen("    http-error status 503 content-type text/plain");
    assert_eq!(
        lines,
        ["WARNING config : parsing [t.cfg:9] : content-type 'text/plain' ignored by the http reply because neither errorfile nor payload defined."]
    );
    let (lines, _) = run(&format!(
        "http-errors e\n    errorfile 503 /dev/null\n{HEAD}listen li\n    bind :8080\n    http-error status 504 errorfiles e\n"
    ));
    assert_eq!(
        lines,
        ["WARNING config : config: proxy 'li' : status '504' not declared in http-errors section 'e' (at t.cfg:10)."]
    );
}

#[test]
fn server_ssl_messages_prefix_only_the_first() {
    let (lines, _) = run(&format!(
        "{HEAD}backend be\n    server a 127.0.0.1:443 ssl crt /nonexistent.pem no-tlsv11 tfo\n    server b 127.0.0.1:443 crt /nonexistent.pem\n"
    ));
    assert_eq!(
        lines,
        [
            "ALERT config : [t.cfg:7] : 'server be/a' : unable to stat SSL certificate from file '/nonexistent.pem' : No such file or directory.",
            "WARNING config : backend 'be': SSL/TLS versions range not contiguous for server 'a'. Hole find for TLSv1.1. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.",
            "ALERT config : verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default.",
            "WARNING config : server has tfo activated, the backend should be configured with at least 'conn-failure', 'empty-response' and 'response-timeout' or we wouldn't be able to retry the connection on failure.",
        ]
    );
}

#[test]
fn bind_threads_resolved_against_nbthread() {
    let fe = |threads: &str| {
        let (lines, _) = run(&format!("global\n    nbthread 2\n{HEAD}frontend fe\n    bind :8080 thread {threads}\n"));
        lines.into_iter().next().unwrap_or_default()
    };
    assert_eq!(fe("1-3"), "");
    assert_eq!(
        fe("3-4"),
        "ALERT config : Proxy 'fe': 'thread' directive contains threads that belong to no group in 'bind :8080' at [t.cfg:9]."
    );
    assert_eq!(
        fe("1/3 thread 1/4"),
        "ALERT config : Proxy 'fe': 'thread' directive only references threads not belonging to the group in 'bind :8080' at [t.cfg:9]."
    );
    assert_eq!(
        fe("a/1"),
        "ALERT config : parsing [t.cfg:9] : 'bind :8080' in section 'frontend' : 'a/1' : 'a/1' is not a valid number/range."
    );
    assert_eq!(
        fe("/1"),
        "ALERT config : parsing [t.cfg:9] : 'bind :8080' in section 'frontend' : '/1' thread-group number must be between 1 and 1 (was 0)"
    );
    assert_eq!(
        fe("2 thread 1/1"),
        "ALERT config : parsing [t.cfg:9] : 'bind :8080' in section 'frontend' : '1/1' multiple thread-groups are not supported"
    );
}

#[test]
fn server_source_and_ports_as_str2sa_range() {
    // atoi() after a first digit: `80x` is port 80.
    clean("    server s3 127.0.0.1:80x");
    alert_is(
        "    server s3 127.0.0.1:80 source 1.2.3.4:1-x",
        "[t.cfg:9] : 'server li/s3' : 'source 1.2.3.4:1-x' : invalid port range '1-0'.",
    );
    // A message ending in a line feed is indented on lines of its own.
    alert_is(
        "    server s3 127.0.0.1:80 source 1.2.3.4:x",
        "[t.cfg:9] : 'server li/s3' : \n  'source 1.2.3.4:x' : invalid character 'x' in port number 'x' in '1.2.3.4:x'\n  \n.",
    );
    let (lines, _) = listen("    server s3 127.0.0.1:80 source 1.2.3.4 usesrc");
    assert_eq!(
        &lines[..2],
        [
            "ALERT config : [t.cfg:9] : 'server li/s3' : 'usesrc' expects <addr>[:<port>], 'client', 'clientip', or 'hdr_ip(name,#)' as argument.",
            "ALERT config : error encountered while processing 'usesrc'.",
        ]
    );
    alert_is(
        "    default-server weight 300",
        "[t.cfg:9] : weight of server default-server is not within 0 and 256 (300)..",
    );
}

#[test]
fn proxy_ids_are_unique() {
    let (lines, _) = run(&format!(
        "{HEAD}frontend fe\n    bind :8080\n    id 5\nbackend be\n    id 5\nlisten li\n    id 6\n    id 8\nbackend b3\n    id 6\n"
    ));
    assert_eq!(
        &lines[..2],
        [
            "ALERT config : parsing [t.cfg:10]: backend be reuses same custom id as frontend fe (declared at t.cfg:6).",
            "ALERT config : parsing [t.cfg:13]: proxy li reuses same custom id as proxy li (declared at t.cfg:11).",
        ]
    );
    assert_eq!(lines.len(), 3, "{lines:?}");
}

#[test]
fn listener_ids_and_address_families() {
    let (lines, _) = run(&format!(
        "{HEAD}frontend fe\n    bind :8080 id 2 id 3\n    bind :8081 id 3\n    bind :8082 id 2\n    bind :8083,:8084 id 4\n"
    ));
    assert_eq!(
        &lines[..3],
        [
            "ALERT config : parsing [t.cfg:7] : 'bind :8080' in section 'frontend' : 'id' : custom id 3 already used at t.cfg:7 ('bind :8080')",
            "ALERT config : parsing [t.cfg:8] : 'bind :8081' in section 'frontend' : 'id' : custom id 3 already used at t.cfg:7 ('bind :8080')",
            "ALERT config : parsing [t.cfg:10] : 'bind :8083,:8084' in section 'frontend' : 'id' can only be used with a single socket",
        ]
    );
    alert_is("    bind udp@:x", "parsing [t.cfg:9] : 'bind' : invalid character 'x' in port number 'x' in 'udp@:x'");
    alert_is(
        "    bind uxdg@/tmp/x.sock",
        "parsing [t.cfg:9] : 'bind' : dgram-type address not acceptable in 'uxdg@/tmp/x.sock'",
    );
    alert_is(
        "    bind dgram+ipv4@:80",
        "parsing [t.cfg:9] : 'bind' : dgram-type address not acceptable in 'dgram+ipv4@:80'",
    );
    alert_is(
        "    bind quic4@:8443",
        "parsing [t.cfg:9] : 'bind' : unsupported stream protocol for datagram family 2 address 'quic4@:8443'; QUIC is not compiled in if this is what you were looking for.",
    );
    alert_is("    bind fd@x", "parsing [t.cfg:9] : 'bind' : file descriptor 'x' is not a valid integer in 'fd@x'");
    // Server address messages ending in a line feed leave an empty line.
    alert_is("    server s3 fd@3", "[t.cfg:9] : 'server li/s3' : a file descriptor is not acceptable here in 'fd@3'\n");
    clean("    bind tcp@:8082");
}

#[test]
fn server_names_resolution_and_templates() {
    alert_is(
        "    server s3 ..:80 init-addr none",
        "[t.cfg:9] : 'server li/s3' : Can't create DNS resolution for server 's3'",
    );
    alert_is(
        "    server s3 _a..b init-addr none",
        "[t.cfg:9] : 'server li/s3' : proxy 'li', server 's3': failed to parse FQDN '_a..b'",
    );
    // Template servers are named after their line is read.
    alert_is(
        "    server-template u 2 1.2.3.4:80 weight 999",
        "[t.cfg:9] : 'server li/(null)' : weight of server (null) is not within 0 and 256 (999)..",
    );
}

#[test]
fn state_files_and_stats_rules() {
    let (lines, _) = run(&format!(
        "global\n    server-state-file /nonexistent/state\n{HEAD}    load-server-state-from-file global\nbackend be\n    server s 1.2.3.4:80\nbackend be2\n    load-server-state-from-file local\n    server-state-file-name /nonexistent/be2\n    server s 1.2.3.4:80\n"
    ));
    assert_eq!(
        lines,
        [
            "WARNING config : config: Can't open global server state file '/nonexistent/state': No such file or directory",
            "WARNING config : Proxy 'be2': Can't open server state file '/nonexistent/be2': No such file or directory.",
        ]
    );
    let (lines, _) = listen("    stats http-request allow\n    stats http-request deny");
    assert_eq!(
        lines,
        ["WARNING config : parsing [t.cfg:10]: previous 'stats' action has no condition attached, further entries are NOOP."]
    );
}

#[test]
fn tcp_frontend_to_http_backend_is_refused_at_start() {
    let text = "defaults\n    timeout connect 5s\n    timeout client 5s\n    timeout server 5s\nfrontend f\n    mode tcp\n    bind 127.0.0.1:2\n    use_backend h if { src 10.0.0.1 }\n    default_backend h\nbackend h\n    mode http\n    server s 127.0.0.1:80\nbackend t\n    mode tcp\n    server s 127.0.0.1:80\n";
    let (lines, cfg) = run(text);
    assert!(lines.iter().all(|l| !l.starts_with("ALERT")), "{lines:?}");
    let refused: Vec<(u32, &str)> = cfg.unsupported.iter().map(|u| (u.span.line, u.what.as_str())).collect();
    let what = "switching from mode tcp frontend 'f' to mode http backend 'h'";
    assert_eq!(refused, vec![(9, what), (8, what)]);
}

#[test]
fn bind_tfo_and_defer_accept_are_noted_as_ignored() {
    let (lines, cfg) = listen("    bind 127.0.0.1:3 tfo defer-accept");
    assert!(lines.iter().all(|l| !l.starts_with("ALERT")), "{lines:?}");
    let p = cfg.proxies.iter().find(|p| p.name == "li").expect("listen li");
    let noted: Vec<&str> = p.ignored.iter().map(|u| u.what.as_str()).collect();
    assert_eq!(noted, vec!["bind option 'tfo'", "bind option 'defer-accept'"]);
    assert!(cfg.unsupported.is_empty());
}

#[test]
fn server_tfo_is_noted_as_ignored() {
    let (lines, cfg) = listen("    server s3 127.0.0.1:81 tfo");
    assert!(lines.iter().all(|l| !l.starts_with("ALERT")), "{lines:?}");
    let p = cfg.proxies.iter().find(|p| p.name == "li").expect("listen li");
    assert_eq!(p.ignored.iter().map(|u| u.what.as_str()).collect::<Vec<_>>(), vec!["server option 'tfo'"]);
    assert!(cfg.unsupported.is_empty());
}
