//! Defaults inheritance: what a new proxy copies from its defaults section (the last
//! anonymous one or the one named by `from`), as HAProxy's `proxy_defproxy_cpy`.

use super::types::{Caps, CompressionSpec, Proxy};
use crate::config::ast::Span;

impl Proxy {
    /// A new proxy preset from a defaults section, exactly as HAProxy's `proxy_defproxy_cpy`:
    /// some settings are copied into every proxy, others only when the new proxy has the
    /// frontend or the backend capability; listeners, servers, ACLs, rules, stick tables,
    /// header captures, `id` and `description` never are.
    pub fn from_defaults(d: &Proxy, name: &str, caps: Caps, span: Span) -> Self {
        let mut p = Proxy::new(name, caps, span);
        // Every proxy.
        p.default_server = d.default_server.clone();
        p.disabled = d.disabled;
        p.options = d.options.clone();
        p.ignored = d.ignored.clone();
        p.forwardfor = d.forwardfor.clone();
        p.originalto = d.originalto.clone();
        p.http_reuse = d.http_reuse;
        p.transparent = d.transparent;
        p.retry_on = d.retry_on.clone();
        p.tcp_request_inspect_delay = d.tcp_request_inspect_delay;
        p.tcp_response_inspect_delay = d.tcp_response_inspect_delay;
        p.send_name_header = d.send_name_header.clone();
        p.error_rules = d.error_rules.clone();
        p.mode = d.mode;
        p.stats = d.stats.clone();
        p.log.targets = d.log.targets.clone();
        p.log.disabled = d.log.disabled;
        p.log.tag = d.log.tag.clone();
        p.unique_id_format = d.unique_id_format.clone();
        p.unique_id_format_line = d.unique_id_format_line.clone();
        p.unique_id_header = d.unique_id_header.clone();
        p.compression = d.compression.clone().map(|c| CompressionSpec { offload: false, ..c });
        p.external_check_command = d.external_check_command.clone();
        p.external_check_path = d.external_check_path.clone();
        p.email_alert = d.email_alert.clone();
        // The check type and its rules follow the options word (`option httpchk`...).
        p.checks = d.checks.clone();
        // The rules a named defaults section holds are used by reference.
        p.http_request = d.http_request.clone();
        p.http_response = d.http_response.clone();
        p.http_after_response = d.http_after_response.clone();
        p.tcp_request_connection = d.tcp_request_connection.clone();
        p.tcp_request_session = d.tcp_request_session.clone();
        p.tcp_request_content = d.tcp_request_content.clone();
        p.tcp_response_content = d.tcp_response_content.clone();
        if caps.frontend {
            p.maxconn = d.maxconn;
            p.backlog = d.backlog;
            p.rate_limit_sessions = d.rate_limit_sessions;
            p.max_session_srv_conns = d.max_session_srv_conns;
            p.clitcpka = d.clitcpka;
            p.capture_cookie = d.capture_cookie.clone();
            p.timeouts.client = d.timeouts.client;
            p.timeouts.client_fin = d.timeouts.client_fin;
            p.timeouts.tarpit = d.timeouts.tarpit;
            p.timeouts.http_request = d.timeouts.http_request;
            p.timeouts.http_keep_alive = d.timeouts.http_keep_alive;
            p.monitor_uri = d.monitor_uri.clone();
            p.default_backend = d.default_backend.clone();
            p.log.format = d.log.format.clone();
            p.log.format_line = d.log.format_line.clone();
            p.log.format_sd = d.log.format_sd.clone();
            p.log.error_format = d.log.error_format.clone();
        }
        if caps.backend {
            p.balance = d.balance.clone();
            p.balance_set = d.balance_set;
            p.hash_type = d.hash_type;
            p.hash_balance_factor = d.hash_balance_factor;
            p.fullconn = d.fullconn;
            p.retries = d.retries;
            p.redispatch = d.redispatch;
            p.max_keep_alive_queue = d.max_keep_alive_queue;
            p.cookie = d.cookie.clone();
            p.dynamic_cookie_key = d.dynamic_cookie_key.clone();
            p.rdp_cookie = d.rdp_cookie.clone();
            p.source = d.source.clone();
            p.load_server_state = d.load_server_state;
            p.srvtcpka = d.srvtcpka;
            p.timeouts.connect = d.timeouts.connect;
            p.timeouts.server = d.timeouts.server;
            p.timeouts.server_fin = d.timeouts.server_fin;
            p.timeouts.check = d.timeouts.check;
            p.timeouts.queue = d.timeouts.queue;
            p.timeouts.tarpit = d.timeouts.tarpit;
            p.timeouts.http_request = d.timeouts.http_request;
            p.timeouts.http_keep_alive = d.timeouts.http_keep_alive;
            p.timeouts.tunnel = d.timeouts.tunnel;
        }
        p
    }
}
