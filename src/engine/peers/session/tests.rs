//! The message handling of a session, without sockets: what each message does to our tables
//! and what it makes us answer.

use super::*;
use crate::engine::peers::codec::{next_frame, Frame};
use crate::engine::peers::wire::tests::{st, ST_DEFINE, ST_UPDATE};
use crate::engine::peers::Section;

fn section() -> Section {
    Section::new("mypeers", "a", None, Vec::new(), vec![st()])
}

fn feed(sec: &Section, l: &mut Learnt, learning: &mut bool, bytes: &[u8]) -> Next {
    let (f, n) = next_frame(bytes).unwrap().unwrap();
    assert_eq!(n, bytes.len());
    handle(sec, l, learning, f)
}

fn short(class: u8, kind: u8) -> Frame<'static> {
    Frame { class, kind, data: &[] }
}

#[test]
fn updates_apply_after_their_definition_and_are_acknowledged() {
    let sec = section();
    sec.tables[0].table.set_replicated();
    let (mut l, mut learning) = (Learnt::default(), false);
    // An update before any definition is skipped.
    assert!(matches!(feed(&sec, &mut l, &mut learning, ST_UPDATE), Next::Go));
    assert_eq!(sec.tables[0].table.used(stick::now_ms()), 0);
    assert!(matches!(feed(&sec, &mut l, &mut learning, ST_DEFINE), Next::Go));
    assert!(matches!(feed(&sec, &mut l, &mut learning, ST_UPDATE), Next::Go));
    assert_eq!(l.to_ack.get(&1), Some(&3));
    // An incremental update (no id) of key `abd` counts from the last id.
    let mut inc = ST_UPDATE.to_vec();
    inc[1] = codec::STKT_INCUPDATE;
    inc.drain(3..7);
    inc[2] -= 4;
    inc[6] = b'd';
    assert!(matches!(feed(&sec, &mut l, &mut learning, &inc), Next::Go));
    assert_eq!(l.to_ack.get(&1), Some(&4));
    let now = stick::now_ms();
    assert_eq!(sec.tables[0].table.used(now), 2);
    // Nothing learnt is queued back for the peers.
    let mut n = 0;
    sec.tables[0].table.drain_changes(|_, _, _| n += 1);
    assert_eq!(n, 0);
}

#[test]
fn a_resync_request_is_answered_with_every_entry_then_finished() {
    let sec = section();
    let t = &sec.tables[0].table;
    t.set_replicated();
    t.get_or_create(&crate::engine::stick::Key::from_bytes(b"k"), stick::now_ms(), |_| ()).unwrap();
    let (mut l, mut learning) = (Learnt::default(), false);
    let Next::Say(out) = handle(&sec, &mut l, &mut learning, short(0, codec::CTRL_RESYNC_REQ)) else {
        panic!("no answer")
    };
    let mut frames = Vec::new();
    let mut rest = &out[..];
    while let Some((f, n)) = next_frame(rest).unwrap() {
        frames.push((f.class, f.kind));
        rest = &rest[n..];
    }
    assert_eq!(frames, [(10, codec::STKT_DEFINE), (10, codec::STKT_UPDATE_TIMED), (0, codec::CTRL_RESYNC_FINISHED)]);
    // The local change itself is queued for the live sessions.
    let mut n = 0;
    t.drain_changes(|_, _, _| n += 1);
    assert_eq!(n, 1);
}

#[test]
fn a_finished_resync_is_confirmed() {
    let sec = section();
    let (mut l, mut learning) = (Learnt::default(), true);
    let Next::Say(out) = handle(&sec, &mut l, &mut learning, short(0, codec::CTRL_RESYNC_FINISHED)) else {
        panic!("no confirmation")
    };
    assert_eq!(out, [0, codec::CTRL_RESYNC_CONFIRM]);
    assert!(!learning);
}

#[test]
fn errors_end_the_session_and_unknown_messages_are_skipped() {
    let sec = section();
    let (mut l, mut learning) = (Learnt::default(), false);
    let mut h = |f| handle(&sec, &mut l, &mut learning, f);
    assert!(matches!(h(short(1, codec::ERR_PROTOCOL)), Next::End(b) if b.is_empty()));
    assert!(matches!(h(short(255, 0)), Next::End(b) if b == [1, 0]));
    assert!(matches!(h(short(7, 1)), Next::Go));
    assert!(matches!(h(short(0, 9)), Next::Go));
    assert!(matches!(h(Frame { class: 10, kind: 0x90, data: &[1, 2] }), Next::Go));
    assert!(matches!(h(Frame { class: 10, kind: codec::STKT_DEFINE, data: &[1] }), Next::End(b) if b == [1, 0]));
    assert!(matches!(h(Frame { class: 10, kind: codec::STKT_SWITCH, data: &[] }), Next::End(_)));
}
