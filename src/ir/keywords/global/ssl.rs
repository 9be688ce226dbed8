//! Global keywords registered by HAProxy's SSL, Lua, HTTP client and HTTP/1 modules. Their
//! parsers report through HAProxy's `parsing [f:l] : <message>` wrapper, some with a line feed
//! at the end of the message (an empty line follows it in the output).

use std::path::Path;

use crate::config::ast::Directive;
use crate::config::parse::io_reason;
use crate::ir::values::{self, TimeError, TimeUnit};

use super::{atoi, Cx};

/// `tune.ssl.capture-buffer-size` and its deprecated name.
pub fn capture_buffer_size(cx: &mut Cx, d: &Directive) {
    let kw = d.keyword();
    if kw == "tune.ssl.capture-cipherlist-size" {
        cx.warning_tight(d, "'tune.ssl.capture-cipherlist-size' is deprecated and will be removed in version 2.7. Please use 'tune.ssl.capture-buffer-size' instead.");
    }
    if cx.too_many(d, 1) {
        return;
    }
    if cx.g.ssl_capture_set {
        cx.alert(d, format!("'{kw}' is already configured."));
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, format!("'{kw}' expects an integer argument."));
        return;
    }
    if atoi(d.arg(1)) < 0 {
        cx.alert(d, format!("'{kw}' expects a positive numeric value."));
        return;
    }
    cx.g.ssl_capture_set = true;
}

pub fn default_dh_param(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, "'tune.ssl.default-dh-param' expects an integer argument.");
        return;
    }
    // Compared as an unsigned int: negative values pass.
    if (atoi(d.arg(1)) as u32) < 1024 {
        cx.alert(d, "'tune.ssl.default-dh-param' expects a value >= 1024.");
    }
}

pub fn lifetime(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, "'tune.ssl.lifetime' expects ssl sessions <lifetime> in seconds as argument.");
        return;
    }
    let arg = d.arg(1);
    match values::parse_time(arg, TimeUnit::S) {
        Ok(_) => {}
        Err(TimeError::Overflow) => cx.alert(
            d,
            format!("timer overflow in argument '{arg}' to <tune.ssl.lifetime> (maximum value is 2147483647 s or ~68 years)."),
        ),
        Err(TimeError::Underflow) => cx.alert(
            d,
            format!("timer underflow in argument '{arg}' to <tune.ssl.lifetime> (minimum value is 1 s)."),
        ),
        Err(TimeError::Unexpected(c)) => {
            cx.alert(d, format!("unexpected character '{c}' in argument to <tune.ssl.lifetime>."))
        }
        Err(TimeError::Empty) => {
            cx.alert(d, "'tune.ssl.lifetime' expects ssl sessions <lifetime> in seconds as argument.")
        }
    }
}

/// `ca-base` / `crt-base`: a directory, set once (a second one is an error).
pub fn base_dir(cx: &mut Cx, d: &Directive) {
    let kw = d.keyword();
    if cx.too_many(d, 1) {
        return;
    }
    let set = if kw == "ca-base" { cx.g.ca_base.is_some() } else { cx.g.crt_base.is_some() };
    if set {
        cx.alert(d, format!("'{kw}' already specified."));
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, format!("global statement '{kw}' expects a directory path as an argument."));
        return;
    }
    let v = Some(d.arg(1).to_string());
    if kw == "ca-base" {
        cx.g.ca_base = v;
    } else {
        cx.g.crt_base = v;
    }
}

/// `issuers-chain-path <dir>`: every file of the directory is loaded as an issuer
/// certificate; files without one are reported.
pub fn issuers_chain_path(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    let dir = d.arg(1);
    let entries = if dir.is_empty() { None } else { std::fs::read_dir(dir).ok() };
    let Some(entries) = entries else {
        cx.alert_nl(d, "global statement 'issuers-chain-path' expects a directory path as an argument.");
        return;
    };
    let mut names: Vec<String> = entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    for name in names {
        let path = format!("{}/{name}", dir.trim_end_matches('/'));
        if !Path::new(&path).is_file() {
            continue;
        }
        let pem = std::fs::read(&path).is_ok_and(|b| b.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----"));
        if !pem {
            cx.r.diags.warning(
                crate::config::diag::Loc::None,
                format!("unable to load issuers-chain {path} : pem certificate not found."),
            );
        }
    }
    cx.keep(d);
}

/// `ssl-default-{bind,server}-{ciphers,ciphersuites}` and `ssl-default-bind-curves`.
pub fn cipher_suite(cx: &mut Cx, d: &Directive) {
    let kw = d.keyword();
    if cx.too_many(d, 1) {
        return;
    }
    if !d.has_arg(1) {
        let what =
            if kw.ends_with("curves") { "a curves suite as an arguments" } else { "a cipher suite as an argument" };
        cx.alert(d, format!("global statement '{kw}' expects {what}."));
        return;
    }
    cx.keep(d);
}

const SSL_VERSIONS: &[&str] = &["SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

/// `ssl-default-bind-options` / `ssl-default-server-options`.
pub fn default_options(cx: &mut Cx, d: &Directive) {
    let kw = d.keyword();
    if !d.has_arg(1) {
        cx.alert(d, format!("global statement '{kw}' expects an option as an argument."));
        return;
    }
    let bind = kw == "ssl-default-bind-options";
    let mut i = 1;
    while d.has_arg(i) {
        let opt = d.arg(i);
        match opt {
            "no-sslv3" | "no-tlsv10" | "no-tlsv11" | "no-tlsv12" | "no-tlsv13" | "force-sslv3" | "force-tlsv10"
            | "force-tlsv11" | "force-tlsv12" | "force-tlsv13" | "no-tls-tickets" => {}
            "prefer-client-ciphers" if bind => {}
            "ssl-min-ver" | "ssl-max-ver" => {
                i += 1;
                if !d.has_arg(i) {
                    cx.alert(d, format!("'{opt}' : missing the ssl/tls version on global statement '{kw}'."));
                    return;
                }
                if !SSL_VERSIONS.contains(&d.arg(i)) {
                    cx.alert(d, format!("'{}' : unknown ssl/tls version on global statement '{kw}'.", d.arg(i)));
                    return;
                }
            }
            _ => {
                cx.alert(d, format!("unknown option '{opt}' on global statement '{kw}'."));
                return;
            }
        }
        i += 1;
    }
    cx.keep(d);
}

pub fn dh_param_file(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    let path = d.arg(1);
    if path.is_empty() {
        cx.alert(d, "'ssl-dh-param-file' expects a file path as an argument.");
        return;
    }
    let ok = std::fs::read(path).is_ok_and(|b| {
        let t = String::from_utf8_lossy(&b);
        t.contains("-----BEGIN DH PARAMETERS-----") || t.contains("-----BEGIN X9.42 DH PARAMETERS-----")
    });
    if !ok {
        cx.alert(d, format!("'ssl-dh-param-file': unable to load DH parameters from file <{path}>."));
        return;
    }
    cx.keep(d);
}

pub fn load_extra_files(cx: &mut Cx, d: &Directive) {
    let usage = "'ssl-load-extra-files' expects one or multiple arguments (none, all, bundle, sctl, ocsp, issuer).";
    if !d.has_arg(1) {
        cx.alert(d, usage);
        return;
    }
    let words: Vec<&str> = d.args_from(1).collect();
    for w in &words {
        if !matches!(*w, "none" | "all" | "bundle" | "sctl" | "ocsp" | "issuer" | "key") {
            cx.alert(d, usage);
            return;
        }
        if matches!(*w, "none" | "all") && words.len() > 1 {
            cx.alert(d, "'ssl-load-extra-files' 'none' and 'all' can be only used alone");
            return;
        }
    }
    cx.keep(d);
}

pub fn propquery(cx: &mut Cx, d: &Directive) {
    if !d.has_arg(1) {
        cx.alert(d, "global statement 'ssl-propquery' expects a property string as an argument.");
        return;
    }
    // OpenSSL refuses a query that does not start with a property name; one it parses but
    // no provider satisfies fails later, when the HTTP client's SSL context is made.
    let q = d.arg(1);
    let first = q.trim_start_matches(['?', '-']).bytes().next();
    if d.has_arg(2) || !first.is_some_and(|b| b.is_ascii_alphabetic()) {
        cx.alert(d, "(null)");
        return;
    }
    cx.g.ssl_propquery = Some(q.to_string());
    cx.keep(d);
}

/// `ssl-provider <name>`: the providers OpenSSL 3 ships.
pub fn provider(cx: &mut Cx, d: &Directive) {
    let name = d.arg(1);
    if name.is_empty() {
        cx.alert(d, "global statement 'ssl-provider' expects a valid engine provider name as an argument.");
        return;
    }
    if !matches!(name, "default" | "base" | "legacy" | "null") {
        cx.alert_bare(d, format!("ssl-provider {name}: unknown provider"));
        cx.alert(d, "(null)");
        return;
    }
    cx.keep(d);
}

pub fn provider_path(cx: &mut Cx, d: &Directive) {
    if !d.has_arg(1) {
        cx.alert(d, "global statement 'ssl-provider-path' expects a directory path as an argument.");
        return;
    }
    cx.keep(d);
}

pub fn server_verify(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    match d.arg(1) {
        "" => cx.alert(d, "'ssl-server-verify' expects an integer argument."),
        "none" | "required" => cx.keep(d),
        _ => cx.alert(d, "'ssl-server-verify' expects 'none' or 'required' as argument."),
    }
}

/// `lua-load` / `lua-load-per-thread`: the file is loaded while parsing.
pub fn lua_load(cx: &mut Cx, d: &Directive) {
    let path = d.arg(1);
    if path.is_empty() {
        let what = if d.keyword() == "lua-load" { "a file name" } else { "a file" };
        cx.alert(d, format!("'{}' expects {what} as parameter.", d.keyword()));
        return;
    }
    if let Err(e) = std::fs::File::open(path) {
        cx.alert(d, format!("error in Lua file '{path}': cannot open {path}: {}", io_reason(&e)));
        return;
    }
    cx.keep(d);
}

pub fn lua_prepend_path(cx: &mut Cx, d: &Directive) {
    if !d.has_arg(1) {
        cx.alert(d, "'lua-prepend-path' expects to receive a <path> as argument");
        return;
    }
    if d.has_arg(2) && !matches!(d.arg(2), "path" | "cpath") {
        cx.alert(d, "'lua-prepend-path' expects <type> to either be 'path' or 'cpath'");
        return;
    }
    cx.keep(d);
}

pub fn httpclient_resolvers_id(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    cx.g.httpclient_resolvers = Some(d.arg(1).to_string());
}

/// `httpclient.resolvers.prefer ipv4|ipv6` and `httpclient.ssl.verify none|required`: a bad
/// value gets a second alert reading `(null)`.
pub fn httpclient_choice(cx: &mut Cx, d: &Directive) {
    let kw = d.keyword();
    if cx.too_many(d, 1) {
        return;
    }
    let (a, b) = if kw == "httpclient.resolvers.prefer" { ("ipv4", "ipv6") } else { ("none", "required") };
    if d.arg(1) != a && d.arg(1) != b {
        cx.alert(d, format!("'{kw}' expects '{a}' or '{b}' as argument."));
        cx.alert(d, "(null)");
        return;
    }
    cx.keep(d);
}

pub fn httpclient_ca_file(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    cx.g.httpclient_ca_file = Some(d.arg(1).to_string());
}

pub fn h1_case_adjust(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 2) {
        return;
    }
    if !d.has_arg(2) {
        cx.alert(d, "'h1-case-adjust' expects <from> and <to> as argument.");
        return;
    }
    if !d.arg(1).eq_ignore_ascii_case(d.arg(2)) {
        cx.alert(d, "<from> and <to> must not differ execpt the case");
        return;
    }
    cx.keep(d);
}

pub fn h1_case_adjust_file(cx: &mut Cx, d: &Directive) {
    if cx.too_many(d, 1) {
        return;
    }
    if !d.has_arg(1) {
        cx.alert(d, "'h1-case-adjust-file' expects <file> as argument.");
        return;
    }
    cx.g.h1_case_adjust_file = Some(d.arg(1).to_string());
}
