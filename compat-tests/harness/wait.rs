//! Deadline polling instead of sleeps: wait until a condition holds or a deadline passes. The poll
//! interval starts small and backs off, so fast conditions are seen quickly and slow ones do not
//! spin.

use std::time::{Duration, Instant};

/// A generous default: conditions normally hold within milliseconds; the deadline only bounds how
/// long a broken implementation can hang a test.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

fn next_interval(i: Duration) -> Duration {
    (i * 2).min(Duration::from_millis(100))
}

/// Poll `cond` until it returns true (-> true) or `timeout` passes (-> false). `cond` is always
/// evaluated at least once, and once more after the deadline.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    wait_for(timeout, || cond().then_some(())).is_some()
}

/// Poll `f` until it yields `Some` (returned) or `timeout` passes (-> None).
pub fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    let mut interval = Duration::from_millis(2);
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        std::thread::sleep(interval.min(deadline - now));
        interval = next_interval(interval);
    }
}

/// The async twin of [`wait_until`], for `#[tokio::test]` scenarios.
pub async fn wait_until_async(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    let mut interval = Duration::from_millis(2);
    loop {
        if cond() {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        tokio::time::sleep(interval.min(deadline - now)).await;
        interval = next_interval(interval);
    }
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
pub fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)).is_ok()
}

/// Whether some socket LISTENs on TCP `port`, read from /proc/net/tcp{,6} without connecting (a
/// probe connection would show up in the proxy's logs and counters). Falls back to
/// [`port_open`] where /proc is unavailable.
pub fn port_listening(port: u16) -> bool {
    let mut seen_proc = false;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else { continue };
        seen_proc = true;
        let found = text.lines().skip(1).any(|l| {
            let mut f = l.split_whitespace();
            let local = f.nth(1).unwrap_or("");
            let state = f.nth(1).unwrap_or("");
            state == "0A" && local.rsplit_once(':').and_then(|(_, p)| u16::from_str_radix(p, 16).ok()) == Some(port)
        });
        if found {
            return true;
        }
    }
    !seen_proc && port_open(port)
}

/// Wait until 127.0.0.1:`port` accepts connections.
pub fn wait_port_open(port: u16, timeout: Duration) -> bool {
    wait_until(timeout, || port_open(port))
}

/// Wait until 127.0.0.1:`port` refuses connections.
pub fn wait_port_closed(port: u16, timeout: Duration) -> bool {
    wait_until(timeout, || !port_open(port))
}

/// Assert that a condition eventually holds: `eventually!(cond_expr, "what we waited for {}", x)`
/// with the default timeout, or `eventually!(timeout = d, cond_expr, ...)`.
#[macro_export]
macro_rules! eventually {
    (timeout = $t:expr, $cond:expr, $($msg:tt)+) => {
        if !$crate::harness::wait::wait_until($t, || $cond) {
            panic!("timed out after {:?} waiting for: {}", $t, format!($($msg)+));
        }
    };
    ($cond:expr, $($msg:tt)+) => {
        $crate::eventually!(timeout = $crate::harness::wait::DEFAULT_TIMEOUT, $cond, $($msg)+)
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn wait_until_sees_condition_and_times_out() {
        let n = AtomicU32::new(0);
        assert!(wait_until(DEFAULT_TIMEOUT, || n.fetch_add(1, Ordering::Relaxed) >= 3));
        assert!(!wait_until(Duration::from_millis(20), || false));
        assert_eq!(wait_for(DEFAULT_TIMEOUT, || Some(7)), Some(7));
        let calls = AtomicU32::new(0);
        crate::eventually!(calls.fetch_add(1, Ordering::Relaxed) == 2, "third call");
    }

    #[test]
    fn listening_is_seen_without_connecting() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        assert!(port_listening(port));
        l.set_nonblocking(true).unwrap();
        assert!(l.accept().is_err(), "port_listening must not connect");
        drop(l);
        assert!(!port_listening(port));
    }
}
