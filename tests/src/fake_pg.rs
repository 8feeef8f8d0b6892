//! Database servers that misbehave on demand, at the wire-protocol level: one that accepts
//! connections and never answers, one that refuses every login with a given SQLSTATE (the
//! way PostgreSQL answers while starting up or shutting down). Each listens on a loopback
//! port until dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// How the fake answers a connection.
#[derive(Clone)]
enum Behaviour {
    Silent,
    Refuse { code: String, message: String },
}

/// A fake PostgreSQL server on a loopback port.
pub struct FakePg {
    /// Its port.
    pub port: u16,
    connections: Arc<AtomicU32>,
    stop: Arc<AtomicBool>,
}

impl FakePg {
    /// Accepts connections, reads nothing, answers nothing, closes nothing.
    pub fn silent() -> FakePg {
        Self::start(Behaviour::Silent)
    }

    /// Answers every startup with a FATAL error `code` ("57P03", "the database system is
    /// starting up").
    pub fn refusing(code: &str, message: &str) -> FakePg {
        Self::start(Behaviour::Refuse {
            code: code.into(),
            message: message.into(),
        })
    }

    /// A connection string to it (no TLS, any database).
    pub fn url(&self, query: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/telemetry?sslmode=disable{query}",
            self.port
        )
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u32 {
        self.connections.load(Ordering::SeqCst)
    }

    fn start(behaviour: Behaviour) -> FakePg {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let connections = Arc::new(AtomicU32::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, halt) = (connections.clone(), stop.clone());
        thread::spawn(move || {
            let mut held = Vec::new();
            while !halt.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        count.fetch_add(1, Ordering::SeqCst);
                        stream.set_nonblocking(false).ok();
                        match &behaviour {
                            Behaviour::Silent => held.push(stream),
                            Behaviour::Refuse { code, message } => {
                                let (code, message) = (code.clone(), message.clone());
                                thread::spawn(move || refuse(stream, &code, &message));
                            }
                        }
                    }
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        FakePg {
            port,
            connections,
            stop,
        }
    }
}

impl Drop for FakePg {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Reads the startup packet (answering an SSLRequest with "no"), then sends ErrorResponse.
fn refuse(mut s: TcpStream, code: &str, message: &str) {
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let read_packet = |s: &mut TcpStream| -> Option<Vec<u8>> {
        let mut len = [0u8; 4];
        s.read_exact(&mut len).ok()?;
        let n = u32::from_be_bytes(len) as usize;
        let mut body = vec![0u8; n.saturating_sub(4)];
        s.read_exact(&mut body).ok()?;
        Some(body)
    };
    let Some(first) = read_packet(&mut s) else {
        return;
    };
    let ssl_request = first.get(..4) == Some(&80_877_103u32.to_be_bytes()[..]);
    if ssl_request && (s.write_all(b"N").is_err() || read_packet(&mut s).is_none()) {
        return;
    }
    let mut fields = Vec::new();
    for (tag, value) in [
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', code),
        (b'M', message),
    ] {
        fields.push(tag);
        fields.extend_from_slice(value.as_bytes());
        fields.push(0);
    }
    fields.push(0);
    let mut msg = vec![b'E'];
    msg.extend_from_slice(&((fields.len() + 4) as u32).to_be_bytes());
    msg.extend_from_slice(&fields);
    let _ = s.write_all(&msg);
}
