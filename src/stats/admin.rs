//! `stats admin`: the POST of the stats page's admin form (`s=<server>&...&b=<backend>&
//! action=<what>`), read as HAProxy 2.6 reads it (parameters taken from the last one back, the
//! first backend and action met win, servers named before them are taken once both are known),
//! each server's action applied through the single server-state writer
//! (`engine::events::apply`, with the stats page as cause), and the 303 redirect that answers it.

use super::html::StCode;
use crate::engine::state::{admin, Cause, OpState, ServerOp};
use crate::engine::{events, Engine};
use crate::runtime_api::commands::server::{adm_set_drain, adm_set_maint, adm_set_ready, Found};

/// HAProxy's key buffer (`LINESIZE`): a longer parameter ends the parse with ERRP.
const KEY_MAX: usize = 2048;

/// The actions of the form, and the older names HAProxy still takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Ready,
    Drain,
    Maint,
    Shutdown,
    Dhlth,
    Ehlth,
    Hrunn,
    Hnolb,
    Hdown,
    Dagent,
    Eagent,
    Arunn,
    Adown,
    Disable,
    Enable,
    Stop,
    Start,
}

impl Action {
    fn parse(s: &[u8]) -> Option<Action> {
        use Action::*;
        Some(match s {
            b"ready" => Ready,
            b"drain" => Drain,
            b"maint" => Maint,
            b"shutdown" => Shutdown,
            b"dhlth" => Dhlth,
            b"ehlth" => Ehlth,
            b"hrunn" => Hrunn,
            b"hnolb" => Hnolb,
            b"hdown" => Hdown,
            b"dagent" => Dagent,
            b"eagent" => Eagent,
            b"arunn" => Arunn,
            b"adown" => Adown,
            b"disable" => Disable,
            b"enable" => Enable,
            b"stop" => Stop,
            b"start" => Start,
            _ => return None,
        })
    }
}

/// What a POST body asks for: the backend, the action, and the servers in the order HAProxy
/// applies them. `end`: the parse stopped on an error after servers were applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub backend: String,
    pub action: Action,
    pub servers: Vec<String>,
    pub end: Option<StCode>,
}

/// `url_decode(s, in_form=1)`: `+` is a space, `%XX` a byte; a bad escape fails.
fn url_decode(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let h = s.get(i + 1..i + 3)?;
                let v = std::str::from_utf8(h).ok().and_then(|h| u8::from_str_radix(h, 16).ok())?;
                out.push(v);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(out)
}

/// Read a POST body. `Err`: the code of a redirect sent without touching any server (ERRP for
/// an unknown action or a backend no proxy has, NONE when nothing is to be done).
pub fn parse_post(body: &[u8], backend_exists: &dyn Fn(&str) -> bool) -> Result<Post, StCode> {
    let params: Vec<&[u8]> = body.split(|&b| b == b'&').collect();
    let (mut backend, mut action) = (None::<String>, None::<Action>);
    let mut servers = Vec::new();
    // Servers met before the backend and action are known are taken once both are.
    let mut pending: Option<usize> = None;
    let mut i = params.len();
    let mut end = None;
    while i > 0 {
        i -= 1;
        let p = params[i];
        if p.len() >= KEY_MAX {
            end = Some(StCode::Errp);
            break;
        }
        let (k, v) = match p.iter().position(|&b| b == b'=') {
            Some(e) => (&p[..e], &p[e + 1..]),
            None => (p, &b""[..]),
        };
        // A NUL ends HAProxy's C strings.
        let cut = |s: &[u8]| -> Vec<u8> { s.iter().take_while(|&&b| b != 0).copied().collect() };
        let (Some(k), Some(v)) = (url_decode(&cut(k)), url_decode(&cut(v))) else { break };
        let k = cut(&k);
        let v = cut(&v);
        let known = backend.is_some() && action.is_some();
        if backend.is_none() && k == b"b" {
            let name = String::from_utf8_lossy(&v).into_owned();
            if !backend_exists(&name) {
                return Err(StCode::Errp);
            }
            backend = Some(name);
        } else if action.is_none() && k == b"action" {
            action = Some(Action::parse(&v).ok_or(StCode::Errp)?);
        } else if k == b"s" {
            if known {
                servers.push(String::from_utf8_lossy(&v).into_owned());
            } else if pending.is_none() {
                pending = Some(i);
            }
        }
        if let (Some(start), true) = (pending, backend.is_some() && action.is_some()) {
            // Go back to the first server seen and walk on from there.
            pending = None;
            i = start + 1;
        }
    }
    match (backend, action) {
        (Some(backend), Some(action)) => Ok(Post { backend, action, servers, end }),
        _ => Err(end.unwrap_or(StCode::None)),
    }
}

/// The result code from how many servers counted (unknown ones and changed ones) and how many
/// changed.
pub fn result(total: usize, altered: usize) -> StCode {
    match (total, altered) {
        (0, _) => StCode::None,
        (_, 0) => StCode::Errp,
        (t, a) if a == t => StCode::Done,
        _ => StCode::Part,
    }
}

/// Apply the POST to the engine's servers; the code of the redirect.
pub fn apply(eng: &Engine, post: &Post) -> StCode {
    let Some(be) = eng.backend(&post.backend).cloned() else { return StCode::Errp };
    let (mut total, mut altered) = (0, 0);
    for name in &post.servers {
        let mut same = be.servers.iter().filter(|s| &s.name == name && !be.is_deleted(s.idx));
        // An ambiguous name (duplicate servers) is as unknown as a missing one. A known server
        // the action leaves alone counts for nothing, as in HAProxy.
        let (Some(s), None) = (same.next(), same.next()) else {
            total += 1;
            continue;
        };
        let f = Found { be: be.clone(), idx: s.idx };
        if act(eng, &f, post.action) {
            total += 1;
            altered += 1;
        }
    }
    post.end.unwrap_or_else(|| result(total, altered))
}

/// One server's action; whether it counts as altered.
fn act(eng: &Engine, f: &Found, a: Action) -> bool {
    let st = f.be.state(f.idx);
    let op = |op: ServerOp| events::apply(eng, f.be.idx, f.idx, op, Cause::StatsPage);
    let admin_op = |set: u8, clear: u8| op(ServerOp::SetAdmin { set, clear });
    match a {
        Action::Ready => adm_set_ready(eng, f, Cause::StatsPage),
        Action::Drain => adm_set_drain(eng, f, Cause::StatsPage),
        Action::Maint => adm_set_maint(eng, f, Cause::StatsPage),
        Action::Disable if st.admin & admin::FMAINT == 0 => {
            admin_op(admin::FMAINT, 0);
        }
        Action::Enable if st.admin & admin::FMAINT != 0 => {
            admin_op(0, admin::FMAINT);
        }
        Action::Stop if st.admin & admin::FDRAIN == 0 => {
            admin_op(admin::FDRAIN, 0);
        }
        Action::Start if st.admin & admin::FDRAIN != 0 => {
            admin_op(0, admin::FDRAIN);
        }
        Action::Dhlth | Action::Ehlth if st.check.configured => {
            op(ServerOp::SetCheckEnabled { agent: false, enabled: a == Action::Ehlth });
        }
        Action::Dagent | Action::Eagent if st.agent.configured => {
            op(ServerOp::SetCheckEnabled { agent: true, enabled: a == Action::Eagent });
        }
        Action::Hrunn | Action::Hnolb | Action::Hdown if st.track.is_none() => {
            let to = match a {
                Action::Hrunn => OpState::Running,
                Action::Hnolb => OpState::Stopping,
                _ => OpState::Stopped,
            };
            op(ServerOp::SetOp(to));
        }
        Action::Arunn | Action::Adown if st.agent.enabled => {
            op(ServerOp::SetAgentHealth { up: a == Action::Arunn });
        }
        Action::Shutdown if !f.be.spec.disabled => f.be.servers[f.idx].kill_sessions(b'K'),
        _ => return false,
    }
    true
}

/// HAProxy's answer to a POST: a 303 back to the page with the result code, keeping `;up`
/// and `;norefresh`.
pub fn redirect(prefix: &str, code: StCode, hide_down: bool, no_refresh: bool) -> String {
    format!(
        "HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\ncontent-length: 0\r\nlocation: {prefix};st={}{}{}\r\n",
        code.name(),
        if hide_down { ";up" } else { "" },
        if no_refresh { ";norefresh" } else { "" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<Post, StCode> {
        parse_post(body.as_bytes(), &|b| b == "be")
    }

    #[test]
    fn form_order() {
        let p = parse("s=s1&s=s2&action=maint&b=be").unwrap();
        assert_eq!((p.backend.as_str(), p.action), ("be", Action::Maint));
        assert_eq!(p.servers, ["s2", "s1"], "applied from the last one back");
        let p = parse("b=be&action=drain&s=s1&s=s%32").unwrap();
        assert_eq!(p.servers, ["s2", "s1"], "pending servers taken once backend and action are known");
        let p = parse("s=a+b&action=ready&b=be&action=maint").unwrap();
        assert_eq!((p.action, p.servers), (Action::Maint, vec!["a b".to_string()]), "the last action wins");
        assert_eq!(p.end, None);
    }

    #[test]
    fn codes() {
        assert_eq!(parse("s=s1&action=bogus&b=be"), Err(StCode::Errp));
        assert_eq!(parse("s=s1&action=maint&b=nob"), Err(StCode::Errp));
        assert_eq!(parse("action=maint&b=be").map(|p| p.servers.len()), Ok(0));
        assert_eq!(parse("s=s1&b=be"), Err(StCode::None));
        assert_eq!(parse(""), Err(StCode::None));
        let long = format!("s={}&action=maint&b=be", "x".repeat(3000));
        assert_eq!(parse(&long).unwrap().end, Some(StCode::Errp));
        // A bad escape stops the parse where it is.
        assert_eq!(parse("s=s1&s=%zz&action=maint&b=be").unwrap().servers.len(), 0);
        assert_eq!(result(0, 0), StCode::None);
        assert_eq!(result(2, 0), StCode::Errp);
        assert_eq!(result(2, 1), StCode::Part);
        assert_eq!(result(2, 2), StCode::Done);
    }

    #[test]
    fn redirect_head() {
        assert_eq!(
            redirect("/stats", StCode::Done, true, false),
            "HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\ncontent-length: 0\r\nlocation: /stats;st=DONE;up\r\n"
        );
    }
}
