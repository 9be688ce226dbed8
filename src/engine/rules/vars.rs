//! Variables (`set-var`, `set-var-fmt`, `unset-var`, the `var()` fetch): a few named values per
//! scope. `proc` lives in the engine, `sess` with the client connection, `txn`, `req` and `res`
//! with one request. Scopes are small, so a vector searched by name beats a map.

use crate::acl::Sample;
use crate::ir::rules::{VarCond, VarRef, VarScope};

/// The variables of one scope.
#[derive(Default)]
pub struct Vars {
    items: Vec<(String, Sample<'static>)>,
    /// The stick counters tracked in this scope: a session's (`sess`) or a stream's (`txn`).
    /// They live with the variables because both have exactly the lifetime of their scope;
    /// dropping them releases the tracked entries.
    pub stk: crate::engine::stick::track::StkCtrs,
    /// What `http-request|http-response capture` rules took: (response side, slot, bytes cut
    /// to the rule's length), for the log line.
    pub captures: Vec<(bool, usize, Vec<u8>)>,
    /// The stream's number (`%rt`) and accept date in µs (`%Ts`, `%ms`), for a stream's
    /// variables.
    pub stream_id: u64,
    pub accept_us: i64,
    /// The stream's unique ID once something asked for it (`engine::unique_id`).
    pub unique_id: std::cell::OnceCell<Vec<u8>>,
    /// A `tcp-request connection expect-proxy layer4` rule matched (session scope): the
    /// connection's PROXY header is read after its connection rules.
    pub expect_proxy: bool,
    /// The server the stream was given (`srv_id`, `srv_name`), once one is.
    pub server: Option<std::sync::Arc<crate::engine::backend::Server>>,
}

impl Vars {
    pub fn get(&self, name: &str) -> Option<&Sample<'static>> {
        self.items.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
    pub fn set(&mut self, name: &str, v: Sample<'static>) {
        match self.items.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = v,
            None => self.items.push((name.to_string(), v)),
        }
    }
    pub fn unset(&mut self, name: &str) {
        self.items.retain(|(n, _)| n != name);
    }
    pub fn clear(&mut self) {
        self.items.clear();
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// The scopes a rule can reach. `proc` is locked only while a rule reads or writes it.
pub struct Scopes<'a> {
    pub proc_: &'a parking_lot::Mutex<Vars>,
    pub sess: &'a mut Vars,
    pub txn: &'a mut Vars,
}

/// The scope's store, `req` and `res` kept with `txn` under distinct prefixes (they live as
/// long as a transaction here).
fn key(v: &VarRef) -> (VarScope, std::borrow::Cow<'_, str>) {
    match v.scope {
        VarScope::Req => (VarScope::Txn, format!("\u{1}req.{}", v.name).into()),
        VarScope::Res => (VarScope::Txn, format!("\u{1}res.{}", v.name).into()),
        s => (s, v.name.as_str().into()),
    }
}

/// Whether a `set-var` with these conditions may store `new` over `old`.
pub fn conds_allow(conds: &[VarCond], old: Option<&Sample<'_>>, new: &Sample<'_>) -> bool {
    let empty = |s: &Sample<'_>| match s {
        Sample::Str(b) | Sample::Bin(b) => b.is_empty(),
        _ => false,
    };
    conds.iter().all(|c| match c {
        VarCond::IfExists | VarCond::IfSet => old.is_some(),
        VarCond::IfNotExists | VarCond::IfNotSet => old.is_none(),
        VarCond::IfEmpty => empty(new),
        VarCond::IfNotEmpty => !empty(new),
        VarCond::IfGt => match (old.and_then(Sample::as_int), new.as_int()) {
            (Some(o), Some(n)) => o > n,
            _ => false,
        },
        VarCond::IfLt => match (old.and_then(Sample::as_int), new.as_int()) {
            (Some(o), Some(n)) => o < n,
            _ => false,
        },
    })
}

impl Scopes<'_> {
    /// Read a variable by its full name (`txn.foo`); the closure sees it while it is borrowed.
    pub fn with<R>(&self, full: &str, f: impl FnOnce(Option<&Sample<'static>>) -> R) -> R {
        let Some(v) = VarRef::parse(full) else { return f(None) };
        let (scope, name) = key(&v);
        match scope {
            VarScope::Proc => f(self.proc_.lock().get(&name)),
            VarScope::Sess => f(self.sess.get(&name)),
            VarScope::Check => f(None),
            _ => f(self.txn.get(&name)),
        }
    }

    pub fn set(&mut self, v: &VarRef, conds: &[VarCond], value: Sample<'static>) {
        let (scope, name) = key(v);
        let apply = |store: &mut Vars| {
            if conds_allow(conds, store.get(&name), &value) {
                store.set(&name, value);
            }
        };
        match scope {
            VarScope::Proc => apply(&mut self.proc_.lock()),
            VarScope::Sess => apply(self.sess),
            VarScope::Check => {}
            _ => apply(self.txn),
        }
    }

    pub fn unset(&mut self, v: &VarRef) {
        let (scope, name) = key(v);
        match scope {
            VarScope::Proc => self.proc_.lock().unset(&name),
            VarScope::Sess => self.sess.unset(&name),
            VarScope::Check => {}
            _ => self.txn.unset(&name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions() {
        let one = Sample::Sint(1);
        let two = Sample::Sint(2);
        assert!(conds_allow(&[VarCond::IfExists], Some(&one), &two));
        assert!(!conds_allow(&[VarCond::IfExists], None, &two));
        assert!(conds_allow(&[VarCond::IfNotExists], None, &two));
        assert!(conds_allow(&[VarCond::IfGt], Some(&two), &one));
        assert!(!conds_allow(&[VarCond::IfGt], Some(&one), &two));
        assert!(conds_allow(&[VarCond::IfEmpty], None, &Sample::str(b"")));
        assert!(!conds_allow(&[VarCond::IfEmpty], None, &Sample::str(b"x")));
    }

    #[test]
    fn scopes_keep_apart() {
        let proc_ = parking_lot::Mutex::new(Vars::default());
        let (mut sess, mut txn) = (Vars::default(), Vars::default());
        let mut s = Scopes { proc_: &proc_, sess: &mut sess, txn: &mut txn };
        s.set(&VarRef::parse("txn.a").unwrap(), &[], Sample::Sint(1));
        s.set(&VarRef::parse("req.a").unwrap(), &[], Sample::Sint(2));
        s.set(&VarRef::parse("sess.a").unwrap(), &[], Sample::Sint(3));
        s.set(&VarRef::parse("proc.a").unwrap(), &[], Sample::Sint(4));
        for (n, want) in [("txn.a", 1), ("req.a", 2), ("sess.a", 3), ("proc.a", 4)] {
            assert_eq!(s.with(n, |v| v.and_then(Sample::as_int)), Some(want), "{n}");
        }
        s.unset(&VarRef::parse("txn.a").unwrap());
        assert!(!s.with("txn.a", |v| v.is_some()));
    }
}
