//! A tiny HTTP/1.1 server on 127.0.0.1 for the provider tests: it answers each connection with
//! the next scripted reply (recorded bodies, chunked exactly as given), records every request,
//! and reports when a client closes a connection it holds open.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use tocsin::llm::{Chunk, ChunkStream, LlmConfig, LlmError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// What to do after the scripted body chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Send the last chunk and close: a complete response.
    End,
    /// Keep the connection open, sending nothing more, until the client closes it.
    Hold,
    /// Close the connection without the last chunk: the body breaks off.
    Cut,
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with a chunked body: each element is one HTTP chunk.
    Stream {
        content_type: &'static str,
        chunks: Vec<Vec<u8>>,
        after: After,
    },
    /// A status with a complete body.
    Status { status: u16, body: String },
    /// Read the request, answer nothing, and wait for the client to close.
    Silence,
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub struct Server {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    log: Arc<Mutex<Vec<Recorded>>>,
    closed: mpsc::UnboundedReceiver<()>,
}

impl Server {
    /// Starts serving `replies`, one per connection, in order; later connections are closed
    /// unanswered.
    pub async fn start(replies: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (closed_tx, closed) = mpsc::unbounded_channel();
        let server_log = log.clone();
        tokio::spawn(async move {
            let mut replies = replies.into_iter();
            while let Ok((socket, _)) = listener.accept().await {
                let Some(reply) = replies.next() else {
                    drop(socket);
                    continue;
                };
                let log = server_log.clone();
                let closed = closed_tx.clone();
                tokio::spawn(async move { serve(socket, reply, log, closed).await });
            }
        });
        Server { url, log, closed }
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().expect("log").clone()
    }

    /// The only request received; panics unless there was exactly one.
    pub fn request(&self) -> Recorded {
        let all = self.requests();
        assert_eq!(all.len(), 1, "requests: {all:?}");
        all[0].clone()
    }

    /// Waits until the client closed a connection the server held open. A generous bound
    /// keeps a broken client from hanging the test; it asserts nothing about timing.
    pub async fn client_closed(&mut self) -> bool {
        tokio::time::timeout(Duration::from_secs(20), self.closed.recv())
            .await
            .ok()
            .flatten()
            .is_some()
    }
}

async fn serve(
    mut socket: TcpStream,
    reply: Reply,
    log: Arc<Mutex<Vec<Recorded>>>,
    closed: mpsc::UnboundedSender<()>,
) {
    let Some(request) = read_request(&mut socket).await else {
        return;
    };
    log.lock().expect("log").push(request);
    match reply {
        Reply::Status { status, body } => {
            let head = format!(
                "HTTP/1.1 {status} Status\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(body.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
        Reply::Silence => {
            wait_for_close(&mut socket).await;
            let _ = closed.send(());
        }
        Reply::Stream {
            content_type,
            chunks,
            after,
        } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\n\
                 transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            );
            if socket.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            for chunk in chunks {
                let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                framed.extend_from_slice(&chunk);
                framed.extend_from_slice(b"\r\n");
                if socket.write_all(&framed).await.is_err() {
                    return;
                }
                let _ = socket.flush().await;
            }
            match after {
                After::End => {
                    let _ = socket.write_all(b"0\r\n\r\n").await;
                    let _ = socket.shutdown().await;
                }
                After::Hold => {
                    wait_for_close(&mut socket).await;
                    let _ = closed.send(());
                }
                After::Cut => drop(socket),
            }
        }
    }
}

/// Reads until the peer closes (or the connection fails).
async fn wait_for_close(socket: &mut TcpStream) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = socket.read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
}

async fn read_request(socket: &mut TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut piece = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = socket.read(&mut piece).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&piece[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut piece).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&piece[..n]);
    }
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Some(Recorded {
        method,
        path,
        headers,
        body,
    })
}

/// A fixture under tests/fixtures/llm-api/.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/llm-api")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An NDJSON body as Ollama writes it: one HTTP chunk a line.
pub fn ndjson(name: &str) -> Reply {
    let body = fixture(name);
    let chunks = body
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    Reply::Stream {
        content_type: "application/x-ndjson",
        chunks,
        after: After::End,
    }
}

/// An SSE body as recorded: one HTTP chunk per `data:` frame; the chunks joined are the file,
/// byte for byte.
pub fn sse(name: &str) -> Reply {
    let body = fixture(name);
    let text = String::from_utf8(body.clone()).expect("utf-8");
    let chunks: Vec<Vec<u8>> = text
        .split_inclusive("\n\n")
        .map(|f| f.as_bytes().to_vec())
        .collect();
    assert_eq!(chunks.concat(), body);
    Reply::Stream {
        content_type: "text/event-stream",
        chunks,
        after: After::End,
    }
}

/// A configuration for `provider` at `url`, retrying nothing unless a test says so.
pub fn config(provider: &str, url: &str, model: &str) -> LlmConfig {
    LlmConfig {
        provider: provider.into(),
        url: url.into(),
        model: model.into(),
        api_key_env: "TOCSIN_TEST_NO_SUCH_VARIABLE".into(),
        retries: 0,
        timeout_secs: 20,
        ..LlmConfig::default()
    }
}

/// Every item of a reply.
pub async fn collect(stream: ChunkStream) -> Vec<Result<Chunk, LlmError>> {
    stream.collect().await
}

/// The text of a reply's `Text` chunks, joined.
pub fn text(items: &[Result<Chunk, LlmError>]) -> String {
    items
        .iter()
        .filter_map(|i| match i {
            Ok(Chunk::Text { text }) => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// The reply's items, all of which must be `Ok`.
pub fn chunks(items: Vec<Result<Chunk, LlmError>>) -> Vec<Chunk> {
    items
        .into_iter()
        .map(|i| i.unwrap_or_else(|e| panic!("unexpected error: {e}")))
        .collect()
}
