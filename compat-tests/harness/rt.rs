//! The one background tokio runtime that hosts every mock server and receiver, so that sync
//! `#[test]` scenarios can use them and `#[tokio::test]` ones do not have to own them.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Handle, Runtime};

static RT: OnceLock<Runtime> = OnceLock::new();

/// The shared runtime's handle. Tasks spawned on it live until aborted or the test binary exits.
pub fn handle() -> Handle {
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("compat-mocks")
            .enable_all()
            .build()
            .expect("building the mocks' tokio runtime")
    })
    .handle()
    .clone()
}

/// Run `fut` on the shared runtime and wait for its result from sync code. Safe to call from
/// inside another runtime's task (it blocks that thread, not the shared runtime).
pub fn run<F>(fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    handle().spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv().expect("shared runtime task panicked")
}
