//! Every converter and every ACL keyword HAProxy 2.6.12 registers, as its `-dKcnv` and
//! `-dKacl` dumps list them (testdata/golden/2.6/keywords/). A unit test keeps these tables
//! and the recorded dumps in step.

use super::pattern::MatchMethod as M;
use super::types::ArgType::*;
use super::types::{ArgSig, ArgType, SmpType as T};

/// One converter keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvDef {
    pub name: &'static str,
    pub args: ArgSig,
    pub in_type: T,
    pub out_type: T,
}

const fn c(name: &'static str, min: u8, types: &'static [ArgType], in_type: T, out_type: T) -> ConvDef {
    ConvDef { name, args: ArgSig { min, types }, in_type, out_type }
}

/// Sorted by name, as HAProxy dumps them.
pub static CONVERTERS: &[ConvDef] = &[
    c("add", 1, &[Str], T::Sint, T::Sint),
    c("add_item", 2, &[Str, Str, Str], T::Str, T::Str),
    c("aes_gcm_dec", 4, &[Sint, Str, Str, Str], T::Bin, T::Bin),
    c("and", 1, &[Str], T::Sint, T::Sint),
    c("b64dec", 0, &[], T::Str, T::Bin),
    c("base64", 0, &[], T::Bin, T::Str),
    c("be2dec", 1, &[Str, Sint, Sint], T::Bin, T::Str),
    c("be2hex", 1, &[Str, Sint, Sint], T::Bin, T::Str),
    c("bool", 0, &[], T::Sint, T::Bool),
    c("bytes", 1, &[Sint, Sint], T::Bin, T::Bin),
    c("capture-req", 1, &[Sint], T::Str, T::Str),
    c("capture-res", 1, &[Sint], T::Str, T::Str),
    c("concat", 1, &[Str, Str, Str], T::Str, T::Str),
    c("cpl", 0, &[], T::Sint, T::Sint),
    c("crc32", 0, &[Sint], T::Bin, T::Sint),
    c("crc32c", 0, &[Sint], T::Bin, T::Sint),
    c("cut_crlf", 0, &[], T::Str, T::Str),
    c("debug", 0, &[Str, Str], T::Any, T::Any),
    c("digest", 1, &[Str], T::Bin, T::Bin),
    c("div", 1, &[Str], T::Sint, T::Sint),
    c("djb2", 0, &[Sint], T::Bin, T::Sint),
    c("even", 0, &[], T::Sint, T::Bool),
    c("field", 2, &[Sint, Str, Sint], T::Str, T::Str),
    c("fix_is_valid", 0, &[], T::Bin, T::Bool),
    c("fix_tag_value", 1, &[Str], T::Bin, T::Bin),
    c("hex", 0, &[], T::Bin, T::Str),
    c("hex2i", 0, &[], T::Str, T::Sint),
    c("hmac", 2, &[Str, Str], T::Bin, T::Bin),
    c("host_only", 0, &[], T::Str, T::Str),
    c("htonl", 0, &[], T::Sint, T::Bin),
    c("http_date", 0, &[Sint, Str], T::Sint, T::Str),
    c("iif", 2, &[Str, Str], T::Bool, T::Str),
    c("in_table", 1, &[Tab], T::Any, T::Bool),
    c("ipmask", 1, &[Msk4, Msk6], T::Addr, T::Ipv4),
    c("json", 1, &[Str], T::Str, T::Str),
    c("json_query", 1, &[Str, Str], T::Str, T::Any),
    c("jwt_header_query", 0, &[Str, Str], T::Bin, T::Any),
    c("jwt_payload_query", 0, &[Str, Str], T::Bin, T::Any),
    c("jwt_verify", 2, &[Str, Str], T::Bin, T::Sint),
    c("language", 1, &[Str, Str], T::Str, T::Str),
    c("length", 0, &[], T::Str, T::Sint),
    c("lower", 0, &[], T::Str, T::Str),
    c("ltime", 1, &[Str, Sint], T::Sint, T::Str),
    c("ltrim", 1, &[Str], T::Str, T::Str),
    c("map", 1, &[Str, Str], T::Str, T::Str),
    c("map_beg", 1, &[Str, Str], T::Str, T::Str),
    c("map_beg_int", 1, &[Str, Sint], T::Str, T::Sint),
    c("map_beg_ip", 1, &[Str, Str], T::Str, T::Addr),
    c("map_dir", 1, &[Str, Str], T::Str, T::Str),
    c("map_dir_int", 1, &[Str, Sint], T::Str, T::Sint),
    c("map_dir_ip", 1, &[Str, Str], T::Str, T::Addr),
    c("map_dom", 1, &[Str, Str], T::Str, T::Str),
    c("map_dom_int", 1, &[Str, Sint], T::Str, T::Sint),
    c("map_dom_ip", 1, &[Str, Str], T::Str, T::Addr),
    c("map_end", 1, &[Str, Str], T::Str, T::Str),
    c("map_end_int", 1, &[Str, Sint], T::Str, T::Sint),
    c("map_end_ip", 1, &[Str, Str], T::Str, T::Addr),
    c("map_int", 1, &[Str, Str], T::Sint, T::Str),
    c("map_int_int", 1, &[Str, Sint], T::Sint, T::Sint),
    c("map_int_ip", 1, &[Str, Str], T::Sint, T::Addr),
    c("map_ip", 1, &[Str, Str], T::Addr, T::Str),
    c("map_ip_int", 1, &[Str, Sint], T::Addr, T::Sint),
    c("map_ip_ip", 1, &[Str, Str], T::Addr, T::Addr),
    c("map_reg", 1, &[Str, Str], T::Str, T::Str),
    c("map_reg_int", 1, &[Str, Sint], T::Str, T::Sint),
    c("map_reg_ip", 1, &[Str, Str], T::Str, T::Addr),
    c("map_regm", 1, &[Str, Str], T::Str, T::Str),
    c("map_str", 1, &[Str, Str], T::Str, T::Str),
    c("map_str_int", 1, &[Str, Sint], T::Str, T::Sint),
    c("map_str_ip", 1, &[Str, Str], T::Str, T::Addr),
    c("map_sub", 1, &[Str, Str], T::Str, T::Str),
    c("map_sub_int", 1, &[Str, Sint], T::Str, T::Sint),
    c("map_sub_ip", 1, &[Str, Str], T::Str, T::Addr),
    c("mod", 1, &[Str], T::Sint, T::Sint),
    c("mqtt_field_value", 2, &[Str, Str], T::Bin, T::Str),
    c("mqtt_is_valid", 0, &[], T::Bin, T::Bool),
    c("mul", 1, &[Str], T::Sint, T::Sint),
    c("nbsrv", 0, &[], T::Str, T::Sint),
    c("neg", 0, &[], T::Sint, T::Sint),
    c("not", 0, &[], T::Sint, T::Bool),
    c("odd", 0, &[], T::Sint, T::Bool),
    c("or", 1, &[Str], T::Sint, T::Sint),
    c("port_only", 0, &[], T::Str, T::Sint),
    c("protobuf", 1, &[PbufFnum, Str], T::Bin, T::Bin),
    c("regsub", 2, &[Reg, Str, Str], T::Str, T::Str),
    c("rtrim", 1, &[Str], T::Str, T::Str),
    c("sdbm", 0, &[Sint], T::Bin, T::Sint),
    c("secure_memcmp", 1, &[Str], T::Bin, T::Bool),
    c("set-var", 1, &[Str, Str, Str, Str, Str], T::Any, T::Any),
    c("sha1", 0, &[], T::Bin, T::Bin),
    c("sha2", 0, &[Sint], T::Bin, T::Bin),
    c("srv_queue", 0, &[], T::Str, T::Sint),
    c("strcmp", 1, &[Str], T::Str, T::Sint),
    c("sub", 1, &[Str], T::Sint, T::Sint),
    c("table_bytes_in_rate", 1, &[Tab], T::Any, T::Sint),
    c("table_bytes_out_rate", 1, &[Tab], T::Any, T::Sint),
    c("table_conn_cnt", 1, &[Tab], T::Any, T::Sint),
    c("table_conn_cur", 1, &[Tab], T::Any, T::Sint),
    c("table_conn_rate", 1, &[Tab], T::Any, T::Sint),
    c("table_expire", 1, &[Tab, Sint], T::Any, T::Sint),
    c("table_gpc", 2, &[Sint, Tab], T::Any, T::Sint),
    c("table_gpc0", 1, &[Tab], T::Any, T::Sint),
    c("table_gpc0_rate", 1, &[Tab], T::Any, T::Sint),
    c("table_gpc1", 1, &[Tab], T::Any, T::Sint),
    c("table_gpc1_rate", 1, &[Tab], T::Any, T::Sint),
    c("table_gpc_rate", 2, &[Sint, Tab], T::Any, T::Sint),
    c("table_gpt", 2, &[Sint, Tab], T::Any, T::Sint),
    c("table_gpt0", 1, &[Tab], T::Any, T::Sint),
    c("table_http_err_cnt", 1, &[Tab], T::Any, T::Sint),
    c("table_http_err_rate", 1, &[Tab], T::Any, T::Sint),
    c("table_http_fail_cnt", 1, &[Tab], T::Any, T::Sint),
    c("table_http_fail_rate", 1, &[Tab], T::Any, T::Sint),
    c("table_http_req_cnt", 1, &[Tab], T::Any, T::Sint),
    c("table_http_req_rate", 1, &[Tab], T::Any, T::Sint),
    c("table_idle", 1, &[Tab, Sint], T::Any, T::Sint),
    c("table_kbytes_in", 1, &[Tab], T::Any, T::Sint),
    c("table_kbytes_out", 1, &[Tab], T::Any, T::Sint),
    c("table_server_id", 1, &[Tab], T::Any, T::Sint),
    c("table_sess_cnt", 1, &[Tab], T::Any, T::Sint),
    c("table_sess_rate", 1, &[Tab], T::Any, T::Sint),
    c("table_trackers", 1, &[Tab], T::Any, T::Sint),
    c("ub64dec", 0, &[], T::Str, T::Bin),
    c("ub64enc", 0, &[], T::Bin, T::Str),
    c("ungrpc", 1, &[PbufFnum, Str], T::Bin, T::Bin),
    c("unset-var", 1, &[Str], T::Any, T::Any),
    c("upper", 0, &[], T::Str, T::Str),
    c("url_dec", 0, &[Sint], T::Str, T::Str),
    c("url_enc", 1, &[Str], T::Str, T::Str),
    c("utime", 1, &[Str, Sint], T::Sint, T::Str),
    c("word", 2, &[Sint, Str, Sint], T::Str, T::Str),
    c("wt6", 0, &[Sint], T::Bin, T::Sint),
    c("xor", 1, &[Str], T::Sint, T::Sint),
    c("xxh3", 0, &[Sint], T::Bin, T::Sint),
    c("xxh32", 0, &[Sint], T::Bin, T::Sint),
    c("xxh64", 0, &[Sint], T::Bin, T::Sint),
];

/// The converter named exactly `name`.
pub fn find_conv(name: &str) -> Option<&'static ConvDef> {
    CONVERTERS.binary_search_by(|c| c.name.cmp(name)).ok().map(|i| &CONVERTERS[i])
}

/// An ACL keyword: a shortcut for a fetch with a default match method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AclKwDef {
    pub name: &'static str,
    /// The sample fetch it reads.
    pub fetch: &'static str,
    pub method: M,
}

const fn k(name: &'static str, fetch: &'static str, method: M) -> AclKwDef {
    AclKwDef { name, fetch, method }
}

/// How an ACL keyword parses and matches its patterns when no converter follows it. Most use
/// their match method's functions; a few carry their own (HAProxy's `parse`/`match` overrides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KwParser {
    Method(M),
    /// `method`: HTTP method names, compared as methods.
    HttpMethod,
    /// `req.ssl_ver` / `req_ssl_ver`: `major.minor` versions compared as integers.
    DottedVer,
    /// `http_auth_group`: group names of a userlist.
    AuthGroup,
}

impl AclKwDef {
    pub fn parser(&self) -> KwParser {
        match self.name {
            "method" => KwParser::HttpMethod,
            "req.ssl_ver" | "req_ssl_ver" => KwParser::DottedVer,
            "http_auth_group" => KwParser::AuthGroup,
            _ => KwParser::Method(self.method),
        }
    }
}

/// Sorted by name, as HAProxy dumps them.
pub static ACL_KEYWORDS: &[AclKwDef] = &[
    k("base", "base", M::Str),
    k("base_beg", "base", M::Beg),
    k("base_dir", "base", M::Dir),
    k("base_dom", "base", M::Dom),
    k("base_end", "base", M::End),
    k("base_len", "base", M::Len),
    k("base_reg", "base", M::Reg),
    k("base_sub", "base", M::Sub),
    k("cook", "req.cook", M::Str),
    k("cook_beg", "req.cook", M::Beg),
    k("cook_dir", "req.cook", M::Dir),
    k("cook_dom", "req.cook", M::Dom),
    k("cook_end", "req.cook", M::End),
    k("cook_len", "req.cook", M::Len),
    k("cook_reg", "req.cook", M::Reg),
    k("cook_sub", "req.cook", M::Sub),
    k("hdr", "req.hdr", M::Str),
    k("hdr_beg", "req.hdr", M::Beg),
    k("hdr_dir", "req.hdr", M::Dir),
    k("hdr_dom", "req.hdr", M::Dom),
    k("hdr_end", "req.hdr", M::End),
    k("hdr_len", "req.hdr", M::Len),
    k("hdr_reg", "req.hdr", M::Reg),
    k("hdr_sub", "req.hdr", M::Sub),
    k("http_auth_group", "http_auth_group", M::Str),
    k("method", "method", M::Str),
    k("path", "path", M::Str),
    k("path_beg", "path", M::Beg),
    k("path_dir", "path", M::Dir),
    k("path_dom", "path", M::Dom),
    k("path_end", "path", M::End),
    k("path_len", "path", M::Len),
    k("path_reg", "path", M::Reg),
    k("path_sub", "path", M::Sub),
    k("payload", "req.payload", M::Bin),
    k("payload_lv", "req.payload_lv", M::Bin),
    k("req.ssl_ver", "req.ssl_ver", M::Int),
    k("req_rdp_cookie", "req.rdp_cookie", M::Str),
    k("req_rdp_cookie_cnt", "req.rdp_cookie_cnt", M::Int),
    k("req_ssl_sni", "req.ssl_sni", M::Str),
    k("req_ssl_ver", "req.ssl_ver", M::Int),
    k("req_ver", "req.ver", M::Str),
    k("resp_ver", "res.ver", M::Str),
    k("scook", "res.cook", M::Str),
    k("scook_beg", "res.cook", M::Beg),
    k("scook_dir", "res.cook", M::Dir),
    k("scook_dom", "res.cook", M::Dom),
    k("scook_end", "res.cook", M::End),
    k("scook_len", "res.cook", M::Len),
    k("scook_reg", "res.cook", M::Reg),
    k("scook_sub", "res.cook", M::Sub),
    k("shdr", "res.hdr", M::Str),
    k("shdr_beg", "res.hdr", M::Beg),
    k("shdr_dir", "res.hdr", M::Dir),
    k("shdr_dom", "res.hdr", M::Dom),
    k("shdr_end", "res.hdr", M::End),
    k("shdr_len", "res.hdr", M::Len),
    k("shdr_reg", "res.hdr", M::Reg),
    k("shdr_sub", "res.hdr", M::Sub),
    k("ssl_fc_sni_end", "ssl_fc_sni", M::End),
    k("ssl_fc_sni_reg", "ssl_fc_sni", M::Reg),
    k("url", "url", M::Str),
    k("url_beg", "url", M::Beg),
    k("url_dir", "url", M::Dir),
    k("url_dom", "url", M::Dom),
    k("url_end", "url", M::End),
    k("url_len", "url", M::Len),
    k("url_reg", "url", M::Reg),
    k("url_sub", "url", M::Sub),
    k("urlp", "urlp", M::Str),
    k("urlp_beg", "urlp", M::Beg),
    k("urlp_dir", "urlp", M::Dir),
    k("urlp_dom", "urlp", M::Dom),
    k("urlp_end", "urlp", M::End),
    k("urlp_len", "urlp", M::Len),
    k("urlp_reg", "urlp", M::Reg),
    k("urlp_sub", "urlp", M::Sub),
];

/// The ACL keyword named exactly `name`.
pub fn find_acl_kw(name: &str) -> Option<&'static AclKwDef> {
    ACL_KEYWORDS.binary_search_by(|k| k.name.cmp(name)).ok().map(|i| &ACL_KEYWORDS[i])
}
