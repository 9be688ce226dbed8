//! What OpenSSL checks when HAProxy prepares an SSL context after parsing: the TLS versions
//! left enabled, cipher lists, TLS 1.3 cipher suites, curves, and (servers) the CA file needed to
//! verify. The names are those of the OpenSSL 3.0 build HAProxy 2.6 uses; a list is accepted
//! when OpenSSL would select something from it.

use crate::config::diag::{Diagnostic, Diags, Loc, Severity};
use crate::ir::types::{Bind, Config, Proxy, Server};

use super::global_setting;

/// TLS 1.2-and-below cipher names of OpenSSL 3.0 (`openssl ciphers ALL:COMPLEMENTOFALL`).
const CIPHERS: &[&str] = &[
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "DHE-DSS-AES256-GCM-SHA384",
    "DHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "DHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES256-CCM8",
    "ECDHE-ECDSA-AES256-CCM",
    "DHE-RSA-AES256-CCM8",
    "DHE-RSA-AES256-CCM",
    "ECDHE-ECDSA-ARIA256-GCM-SHA384",
    "ECDHE-ARIA256-GCM-SHA384",
    "DHE-DSS-ARIA256-GCM-SHA384",
    "DHE-RSA-ARIA256-GCM-SHA384",
    "ADH-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "DHE-DSS-AES128-GCM-SHA256",
    "DHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES128-CCM8",
    "ECDHE-ECDSA-AES128-CCM",
    "DHE-RSA-AES128-CCM8",
    "DHE-RSA-AES128-CCM",
    "ECDHE-ECDSA-ARIA128-GCM-SHA256",
    "ECDHE-ARIA128-GCM-SHA256",
    "DHE-DSS-ARIA128-GCM-SHA256",
    "DHE-RSA-ARIA128-GCM-SHA256",
    "ADH-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA384",
    "DHE-RSA-AES256-SHA256",
    "DHE-DSS-AES256-SHA256",
    "ECDHE-ECDSA-CAMELLIA256-SHA384",
    "ECDHE-RSA-CAMELLIA256-SHA384",
    "DHE-RSA-CAMELLIA256-SHA256",
    "DHE-DSS-CAMELLIA256-SHA256",
    "ADH-AES256-SHA256",
    "ADH-CAMELLIA256-SHA256",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "DHE-RSA-AES128-SHA256",
    "DHE-DSS-AES128-SHA256",
    "ECDHE-ECDSA-CAMELLIA128-SHA256",
    "ECDHE-RSA-CAMELLIA128-SHA256",
    "DHE-RSA-CAMELLIA128-SHA256",
    "DHE-DSS-CAMELLIA128-SHA256",
    "ADH-AES128-SHA256",
    "ADH-CAMELLIA128-SHA256",
    "ECDHE-ECDSA-AES256-SHA",
    "ECDHE-RSA-AES256-SHA",
    "DHE-RSA-AES256-SHA",
    "DHE-DSS-AES256-SHA",
    "DHE-RSA-CAMELLIA256-SHA",
    "DHE-DSS-CAMELLIA256-SHA",
    "AECDH-AES256-SHA",
    "ADH-AES256-SHA",
    "ADH-CAMELLIA256-SHA",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "DHE-RSA-AES128-SHA",
    "DHE-DSS-AES128-SHA",
    "DHE-RSA-CAMELLIA128-SHA",
    "DHE-DSS-CAMELLIA128-SHA",
    "AECDH-AES128-SHA",
    "ADH-AES128-SHA",
    "ADH-CAMELLIA128-SHA",
    "RSA-PSK-AES256-GCM-SHA384",
    "DHE-PSK-AES256-GCM-SHA384",
    "RSA-PSK-CHACHA20-POLY1305",
    "DHE-PSK-CHACHA20-POLY1305",
    "ECDHE-PSK-CHACHA20-POLY1305",
    "DHE-PSK-AES256-CCM8",
    "DHE-PSK-AES256-CCM",
    "RSA-PSK-ARIA256-GCM-SHA384",
    "DHE-PSK-ARIA256-GCM-SHA384",
    "AES256-GCM-SHA384",
    "AES256-CCM8",
    "AES256-CCM",
    "ARIA256-GCM-SHA384",
    "PSK-AES256-GCM-SHA384",
    "PSK-CHACHA20-POLY1305",
    "PSK-AES256-CCM8",
    "PSK-AES256-CCM",
    "PSK-ARIA256-GCM-SHA384",
    "RSA-PSK-AES128-GCM-SHA256",
    "DHE-PSK-AES128-GCM-SHA256",
    "DHE-PSK-AES128-CCM8",
    "DHE-PSK-AES128-CCM",
    "RSA-PSK-ARIA128-GCM-SHA256",
    "DHE-PSK-ARIA128-GCM-SHA256",
    "AES128-GCM-SHA256",
    "AES128-CCM8",
    "AES128-CCM",
    "ARIA128-GCM-SHA256",
    "PSK-AES128-GCM-SHA256",
    "PSK-AES128-CCM8",
    "PSK-AES128-CCM",
    "PSK-ARIA128-GCM-SHA256",
    "AES256-SHA256",
    "CAMELLIA256-SHA256",
    "AES128-SHA256",
    "CAMELLIA128-SHA256",
    "ECDHE-PSK-AES256-CBC-SHA384",
    "ECDHE-PSK-AES256-CBC-SHA",
    "SRP-DSS-AES-256-CBC-SHA",
    "SRP-RSA-AES-256-CBC-SHA",
    "SRP-AES-256-CBC-SHA",
    "RSA-PSK-AES256-CBC-SHA384",
    "DHE-PSK-AES256-CBC-SHA384",
    "RSA-PSK-AES256-CBC-SHA",
    "DHE-PSK-AES256-CBC-SHA",
    "ECDHE-PSK-CAMELLIA256-SHA384",
    "RSA-PSK-CAMELLIA256-SHA384",
    "DHE-PSK-CAMELLIA256-SHA384",
    "AES256-SHA",
    "CAMELLIA256-SHA",
    "PSK-AES256-CBC-SHA384",
    "PSK-AES256-CBC-SHA",
    "PSK-CAMELLIA256-SHA384",
    "ECDHE-PSK-AES128-CBC-SHA256",
    "ECDHE-PSK-AES128-CBC-SHA",
    "SRP-DSS-AES-128-CBC-SHA",
    "SRP-RSA-AES-128-CBC-SHA",
    "SRP-AES-128-CBC-SHA",
    "RSA-PSK-AES128-CBC-SHA256",
    "DHE-PSK-AES128-CBC-SHA256",
    "RSA-PSK-AES128-CBC-SHA",
    "DHE-PSK-AES128-CBC-SHA",
    "ECDHE-PSK-CAMELLIA128-SHA256",
    "RSA-PSK-CAMELLIA128-SHA256",
    "DHE-PSK-CAMELLIA128-SHA256",
    "AES128-SHA",
    "CAMELLIA128-SHA",
    "PSK-AES128-CBC-SHA256",
    "PSK-AES128-CBC-SHA",
    "PSK-CAMELLIA128-SHA256",
    "ECDHE-ECDSA-NULL-SHA",
    "ECDHE-RSA-NULL-SHA",
    "AECDH-NULL-SHA",
    "NULL-SHA256",
    "ECDHE-PSK-NULL-SHA384",
    "ECDHE-PSK-NULL-SHA256",
    "ECDHE-PSK-NULL-SHA",
    "RSA-PSK-NULL-SHA384",
    "RSA-PSK-NULL-SHA256",
    "DHE-PSK-NULL-SHA384",
    "DHE-PSK-NULL-SHA256",
    "RSA-PSK-NULL-SHA",
    "DHE-PSK-NULL-SHA",
    "NULL-SHA",
    "NULL-MD5",
    "PSK-NULL-SHA384",
    "PSK-NULL-SHA256",
    "PSK-NULL-SHA",
];

/// Cipher-string aliases OpenSSL knows.
const ALIASES: &[&str] = &[
    "ALL",
    "COMPLEMENTOFALL",
    "COMPLEMENTOFDEFAULT",
    "DEFAULT",
    "HIGH",
    "MEDIUM",
    "LOW",
    "eNULL",
    "NULL",
    "aNULL",
    "kRSA",
    "aRSA",
    "RSA",
    "kDHE",
    "kEDH",
    "DH",
    "DHE",
    "EDH",
    "ADH",
    "kEECDH",
    "kECDHE",
    "ECDH",
    "ECDHE",
    "EECDH",
    "AECDH",
    "aDSS",
    "DSS",
    "aECDSA",
    "ECDSA",
    "TLSv1.2",
    "TLSv1.0",
    "TLSv1",
    "SSLv3",
    "AES128",
    "AES256",
    "AES",
    "AESGCM",
    "AESCCM",
    "AESCCM8",
    "ARIA128",
    "ARIA256",
    "ARIA",
    "ARIAGCM",
    "CAMELLIA128",
    "CAMELLIA256",
    "CAMELLIA",
    "CHACHA20",
    "3DES",
    "DES",
    "RC4",
    "RC2",
    "IDEA",
    "SEED",
    "MD5",
    "SHA1",
    "SHA",
    "SHA256",
    "SHA384",
    "PSK",
    "kPSK",
    "kECDHEPSK",
    "kDHEPSK",
    "kRSAPSK",
    "aPSK",
    "SRP",
    "kSRP",
    "aSRP",
    "SUITEB128",
    "SUITEB128ONLY",
    "SUITEB192",
    "kGOST",
    "aGOST",
    "aGOST01",
    "GOST94",
    "GOST89MAC",
    "kGOST18",
    "aGOST12",
    "ECCDHE",
];

/// TLS 1.3 cipher suites.
const SUITES: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_CCM_SHA256",
    "TLS_AES_128_CCM_8_SHA256",
];

/// Groups `SSL_CTX_set1_curves_list` accepts.
const GROUPS: &[&str] = &[
    "X25519",
    "X448",
    "P-256",
    "P-384",
    "P-521",
    "prime256v1",
    "secp384r1",
    "secp521r1",
    "secp256k1",
    "secp224r1",
    "secp192r1",
    "prime192v1",
    "brainpoolP256r1",
    "brainpoolP384r1",
    "brainpoolP512r1",
    "ffdhe2048",
    "ffdhe3072",
    "ffdhe4096",
    "ffdhe6144",
    "ffdhe8192",
    "sect163k1",
    "sect163r1",
    "sect163r2",
    "sect193r1",
    "sect193r2",
    "sect233k1",
    "sect233r1",
    "sect239k1",
    "sect283k1",
    "sect283r1",
    "sect409k1",
    "sect409r1",
    "sect571k1",
    "sect571r1",
    "secp160k1",
    "secp160r1",
    "secp160r2",
    "secp192k1",
    "secp224k1",
    "K-163",
    "B-163",
    "K-233",
    "B-233",
    "K-283",
    "B-283",
    "K-409",
    "B-409",
    "K-571",
    "B-571",
    "P-192",
    "P-224",
];

/// Named curves `ecdhe` accepts (OpenSSL short names).
const CURVES: &[&str] = &[
    "secp112r1",
    "secp112r2",
    "secp128r1",
    "secp128r2",
    "secp160k1",
    "secp160r1",
    "secp160r2",
    "secp192k1",
    "secp224k1",
    "secp224r1",
    "secp256k1",
    "secp384r1",
    "secp521r1",
    "prime192v1",
    "prime192v2",
    "prime192v3",
    "prime239v1",
    "prime239v2",
    "prime239v3",
    "prime256v1",
    "sect113r1",
    "sect113r2",
    "sect131r1",
    "sect131r2",
    "sect163k1",
    "sect163r1",
    "sect163r2",
    "sect193r1",
    "sect193r2",
    "sect233k1",
    "sect233r1",
    "sect239k1",
    "sect283k1",
    "sect283r1",
    "sect409k1",
    "sect409r1",
    "sect571k1",
    "sect571r1",
    "brainpoolP160r1",
    "brainpoolP160t1",
    "brainpoolP192r1",
    "brainpoolP192t1",
    "brainpoolP224r1",
    "brainpoolP224t1",
    "brainpoolP256r1",
    "brainpoolP256t1",
    "brainpoolP320r1",
    "brainpoolP320t1",
    "brainpoolP384r1",
    "brainpoolP384t1",
    "brainpoolP512r1",
    "brainpoolP512t1",
    "SM2",
    "X25519",
    "X448",
];

/// Would `SSL_CTX_set_cipher_list` select at least one cipher from this list?
pub fn cipher_list_ok(list: &str) -> bool {
    list.split([':', ',', ' ']).filter(|i| !i.is_empty()).any(|item| {
        if item.starts_with(['!', '-', '+', '@']) {
            return false;
        }
        item.split('+').all(|c| CIPHERS.contains(&c) || ALIASES.contains(&c))
    })
}

/// Would `SSL_CTX_set_ciphersuites` accept this list (at least one known suite)?
pub fn suites_ok(list: &str) -> bool {
    list.split(':').any(|s| SUITES.contains(&s))
}

/// `SSL_CTX_set1_curves_list` fails on any unknown name.
pub fn curves_ok(list: &str) -> bool {
    !list.is_empty() && list.split(':').all(|c| GROUPS.contains(&c) || CURVES.contains(&c))
}

/// The TLS versions this build has: SSLv3 is not compiled in OpenSSL 3.
const VERSIONS: &[(&str, &str, bool)] = &[
    ("SSLv3", "sslv3", false),
    ("TLSv1.0", "tlsv10", true),
    ("TLSv1.1", "tlsv11", true),
    ("TLSv1.2", "tlsv12", true),
    ("TLSv1.3", "tlsv13", true),
];

/// Options that shape the TLS versions (`no-*`, `force-*`, `ssl-min-ver`, `ssl-max-ver`).
#[derive(Default)]
struct VersionOpts {
    no: Vec<usize>,
    force: Option<usize>,
    min: Option<usize>,
    max: Option<usize>,
}

impl VersionOpts {
    fn apply(&mut self, kw: &str, val: Option<&str>) {
        let idx = |v: &str| VERSIONS.iter().position(|(name, _, _)| *name == v);
        if let Some(v) = kw.strip_prefix("no-") {
            if let Some(i) = VERSIONS.iter().position(|(_, k, _)| *k == v) {
                self.no.push(i);
            }
        } else if let Some(v) = kw.strip_prefix("force-") {
            if let Some(i) = VERSIONS.iter().position(|(_, k, _)| *k == v) {
                self.force = Some(i);
            }
        } else if kw == "ssl-min-ver" {
            self.min = val.and_then(idx);
        } else if kw == "ssl-max-ver" {
            self.max = val.and_then(idx);
        }
    }

    fn from_words<'a>(words: impl Iterator<Item = (&'a str, Option<&'a str>)>) -> Self {
        let mut v = VersionOpts::default();
        for (kw, val) in words {
            v.apply(kw, val);
        }
        v
    }

    /// The enabled versions, and the first hole in them. `default_min` is TLSv1.2 for binds.
    fn enabled(&self, default_min: Option<usize>, ignore_no: bool) -> (Vec<usize>, Option<usize>) {
        let (mut min, mut max) = (self.min, self.max);
        if let Some(f) = self.force {
            min = Some(f);
            max = Some(f);
        }
        if min.is_none() {
            min = match (default_min, max) {
                (Some(d), Some(m)) if m < d => Some(m),
                (d, _) => d,
            };
        }
        let mut on = Vec::new();
        let mut hole = None;
        let mut reported = None;
        for (i, (_, _, built)) in VERSIONS.iter().enumerate() {
            let disabled =
                (!ignore_no && self.no.contains(&i)) || min.is_some_and(|m| i < m) || max.is_some_and(|m| i > m);
            if *built && !disabled {
                if !on.is_empty() && hole.is_some() && reported.is_none() {
                    reported = hole;
                }
                on.push(i);
            } else if !on.is_empty() {
                hole = Some(i);
            }
        }
        (on, reported)
    }
}

fn opts_words(other: &[(String, Vec<String>)]) -> impl Iterator<Item = (&str, Option<&str>)> {
    other.iter().map(|(k, v)| (k.as_str(), v.first().map(String::as_str)))
}

fn value<'a>(other: &'a [(String, Vec<String>)], kw: &str) -> Option<&'a str> {
    other.iter().rev().find(|(k, _)| k == kw).and_then(|(_, v)| v.first()).map(String::as_str)
}

fn global_words(cfg: &Config, kw: &str) -> Vec<(String, Vec<String>)> {
    let Some(v) = global_setting(cfg, kw) else { return Vec::new() };
    let mut out = Vec::new();
    let mut it = v.iter().peekable();
    while let Some(w) = it.next() {
        if matches!(w.as_str(), "ssl-min-ver" | "ssl-max-ver") {
            out.push((w.clone(), it.next().into_iter().cloned().collect()));
        } else {
            out.push((w.clone(), Vec::new()));
        }
    }
    out
}

/// An SSL setting checked on a bind line: its option, the global default, the check, and how
/// HAProxy names it in the message.
type Check<'a> = (&'a str, Option<&'a str>, fn(&str) -> bool, &'a str);

/// The SSL preparation of every `ssl` bind line of a proxy (HAProxy's second pass).
pub fn binds(p: &Proxy, cfg: &Config, diags: &mut Diags) {
    let mut seen: Vec<(&crate::config::ast::Span, &str)> = Vec::new();
    for b in p.binds.iter().filter(|b| b.opts.ssl) {
        if seen.contains(&(&b.span, b.opts.arg.as_str())) {
            continue;
        }
        seen.push((&b.span, b.opts.arg.as_str()));
        bind(p, b, cfg, diags);
    }
}

fn bind(p: &Proxy, b: &Bind, cfg: &Config, diags: &mut Diags) {
    let at = format!("for bind '{}' at [{}:{}]", b.opts.arg, b.span.file, b.span.line);
    let other = &b.opts.other;
    let has = |k: &str| other.iter().any(|(x, _)| x == k);
    if b.opts.crt.is_empty() {
        if has("strict-sni") && !has("generate-certificates") {
            let msg = format!(
                "Proxy '{}': no SSL certificate specified {at}, ssl connections will fail (use 'crt').",
                p.name
            );
            diags.push(Diagnostic::new(Severity::Warning, Loc::None, msg));
        } else {
            let msg = format!("Proxy '{}': no SSL certificate specified {at} (use 'crt').", p.name);
            diags.push(Diagnostic::new(Severity::Alert, Loc::None, msg));
            return;
        }
    }
    let mut words = global_words(cfg, "ssl-default-bind-options");
    words.extend(other.iter().cloned());
    let versions = VersionOpts::from_words(opts_words(&words));
    let (on, hole) = versions.enabled(Some(3), false);
    if on.is_empty() {
        let msg = format!("Proxy '{}': all SSL/TLS versions are disabled {at}.", p.name);
        diags.push(Diagnostic::new(Severity::Alert, Loc::None, msg));
        return;
    }
    if let Some(h) = hole {
        let msg = format!(
            "Proxy '{}': SSL/TLS versions range not contiguous {at}. Hole find for {}. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.",
            p.name, VERSIONS[h].0
        );
        diags.push(Diagnostic::new(Severity::Warning, Loc::None, msg));
    }
    let global = |k: &str| global_setting(cfg, k).and_then(|v| v.first()).map(String::as_str);
    let checks: [Check; 4] = [
        ("ciphers", global("ssl-default-bind-ciphers"), cipher_list_ok, "SSL cipher list"),
        ("ciphersuites", global("ssl-default-bind-ciphersuites"), suites_ok, "TLS 1.3 cipher suites"),
        ("curves", global("ssl-default-bind-curves"), curves_ok, "SSL curves list"),
        ("ecdhe", None, |c| CURVES.contains(&c), "elliptic named curve"),
    ];
    for (kw, default, ok, what) in checks {
        if let Some(v) = value(other, kw).or(default) {
            if !ok(v) {
                let msg = format!("Proxy '{}': unable to set {what} to '{v}' {at}.", p.name);
                diags.push(Diagnostic::new(Severity::Alert, Loc::None, msg));
            }
        }
    }
}

/// Messages of one server's initialisation: HAProxy prefixes only the first one it prints with
/// `[file:line] : 'server <proxy>/<name>' : ` (its user-message context), later ones go bare.
struct ServerMsgs<'a> {
    prefix: Option<(Loc, String)>,
    diags: &'a mut Diags,
}

impl ServerMsgs<'_> {
    fn push(&mut self, severity: Severity, msg: String) {
        let d = match self.prefix.take() {
            Some((loc, who)) => Diagnostic::new(severity, loc, format!("{who}{msg}")),
            None => Diagnostic::new(severity, Loc::None, msg),
        };
        self.diags.push(d);
    }
}

/// A server's SSL context as `ssl_sock_prepare_srv_ctx` builds it (client certificate, TLS
/// versions, CA for verification, cipher lists), then the TCP Fast Open warning of `srv_init`.
pub fn server(p: &Proxy, s: &Server, cfg: &Config, diags: &mut Diags) {
    let who = format!("'server {}/{}' : ", p.name, s.name);
    let mut out = ServerMsgs { prefix: Some((s.span.bracket(), who)), diags };
    let other = &s.opts.other;
    if s.opts.ssl || s.opts.check_ssl {
        prepare_ssl(p, s, cfg, &mut out);
    }
    let has = |k: &str| other.iter().any(|(x, _)| x == k);
    if has("tfo")
        && !p.retry_on.as_ref().is_some_and(|r| {
            let any = |k: &str| r.iter().any(|x| x == k || x == "all-retryable-errors");
            any("empty-response") && any("response-timeout")
        })
    {
        let msg = "server has tfo activated, the backend should be configured with at least 'conn-failure', 'empty-response' and 'response-timeout' or we wouldn't be able to retry the connection on failure.";
        out.push(Severity::Warning, msg.to_string());
    }
}

fn prepare_ssl(p: &Proxy, s: &Server, cfg: &Config, out: &mut ServerMsgs) {
    let other = &s.opts.other;
    if let Some(path) = value(other, "crt") {
        if let Err(msg) = crate::ir::keywords::bind::check_certificate(path) {
            out.push(Severity::Alert, msg);
        }
    }
    let kind = p.caps.type_name();
    let mut words = global_words(cfg, "ssl-default-server-options");
    words.extend(other.iter().cloned());
    let versions = VersionOpts::from_words(opts_words(&words));
    let has_range = versions.min.is_some() || versions.max.is_some();
    if !versions.no.is_empty() && has_range {
        let msg = "no-sslv3/no-tlsv1x are ignored for this server. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.";
        out.push(Severity::Warning, msg.to_string());
    }
    let (on, hole) = versions.enabled(None, has_range);
    if let Some(h) = hole {
        let msg = format!(
            "{kind} '{}': SSL/TLS versions range not contiguous for server '{}'. Hole find for {}. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.",
            p.name, s.name, VERSIONS[h].0
        );
        out.push(Severity::Warning, msg);
    }
    if on.is_empty() {
        out.push(
            Severity::Alert,
            format!("{kind} '{}': all SSL/TLS versions are disabled for server '{}'.", p.name, s.name),
        );
    }
    let verify_none = match s.opts.verify.as_deref() {
        Some(v) => v == "none",
        None => global_setting(cfg, "ssl-server-verify").and_then(|v| v.first()).is_some_and(|v| v == "none"),
    };
    if !verify_none && value(other, "ca-file").is_none() {
        let by_default = global_setting(cfg, "ssl-server-verify").and_then(|v| v.first()).is_none_or(|v| v != "none");
        let msg = if by_default {
            "verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default."
        } else {
            "verify is enabled but no CA file specified."
        };
        out.push(Severity::Alert, msg.to_string());
    }
    let global = |k: &str| global_setting(cfg, k).and_then(|v| v.first()).map(String::as_str);
    if let Some(c) = value(other, "ciphers").or(global("ssl-default-server-ciphers")) {
        if !cipher_list_ok(c) {
            out.push(Severity::Alert, format!("unable to set SSL cipher list to '{c}'."));
        }
    }
    if let Some(c) = value(other, "ciphersuites").or(global("ssl-default-server-ciphersuites")) {
        if !suites_ok(c) {
            out.push(Severity::Alert, format!("unable to set TLS 1.3 cipher suites to '{c}'."));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cipher_lists() {
        assert!(cipher_list_ok("ECDHE-RSA-AES128-GCM-SHA256:!aNULL"));
        assert!(cipher_list_ok("HIGH:!aNULL:!MD5"));
        assert!(cipher_list_ok("ECDHE+AESGCM:DHE+AESGCM"));
        assert!(!cipher_list_ok("!aNULL"));
        assert!(!cipher_list_ok("zzbad"));
        assert!(!cipher_list_ok("TLS_AES_128_GCM_SHA256"));
        assert!(suites_ok("TLS_AES_128_GCM_SHA256:TLS_X"));
        assert!(!suites_ok("TLS_X"));
        assert!(curves_ok("X25519:P-256"));
        assert!(!curves_ok("X25519:bogus"));
    }

    #[test]
    fn versions() {
        let v = VersionOpts::from_words([("force-sslv3", None)].into_iter());
        assert!(v.enabled(Some(3), false).0.is_empty());
        let v = VersionOpts::from_words([("no-tlsv11", None)].into_iter());
        assert_eq!(v.enabled(None, false).1, Some(2));
        let v =
            VersionOpts::from_words([("ssl-min-ver", Some("TLSv1.3")), ("ssl-max-ver", Some("TLSv1.2"))].into_iter());
        assert!(v.enabled(Some(3), false).0.is_empty());
        let v = VersionOpts::default();
        assert_eq!(v.enabled(Some(3), false).0, vec![3, 4]);
    }
}
