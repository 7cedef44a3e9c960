//! The course's downloads, for real: several files fetched at once over TCP.
//!
//! The example starts a small HTTP server on 127.0.0.1 (an ephemeral port,
//! plain std threads, one per connection). Each file it serves has a size and
//! a delay: the server sends the file in four parts, a quarter of the delay
//! apart, so the client really waits on the network. Then, on this executor,
//! one task per file downloads them all at once with non-blocking sockets
//! (`async_io::Async<TcpStream>`), reporting progress as the bytes come in.
//!
//! Our executor has no reactor of its own. `async-io` has one, on its own
//! thread: it asks the OS which sockets are ready and calls the wakers of the
//! tasks waiting on them; those wakes reach us through the waker queue's
//! channel. Book chapter: *How a reactor wakes our tasks* (`book/src/reactor.md`).
//!
//! Two of the downloads go wrong on purpose: one asks a port where nothing
//! listens, one is cut off by the server halfway. Each ends with a clear error
//! for that file; the others finish.
//!
//! ```text
//! cargo run --example download
//! ```

use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_io::Async;
use busy_chef::time::{timeout, Instant};
use busy_chef::{spawn, Executor};
use futures_lite::io::{AsyncReadExt, AsyncWriteExt};

// ===== the files, and the server that serves them (plain threads) =====

/// How the server treats a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Serve {
    /// All of it.
    Whole,
    /// Half of it, then the server closes the connection.
    CutOffHalfway,
}

/// One file on the server.
#[derive(Debug, Clone, Copy)]
struct File {
    name: &'static str,
    size: usize,
    delay: Duration,
    serve: Serve,
}

// ANCHOR: files
#[rustfmt::skip]
const FILES: [File; 4] = [
    File { name: "menu.html", size: 16 * 1024, delay: Duration::from_millis(200), serve: Serve::Whole },
    File { name: "recipes.csv", size: 256 * 1024, delay: Duration::from_millis(400), serve: Serve::Whole },
    File { name: "photo.jpg", size: 128 * 1024, delay: Duration::from_millis(300), serve: Serve::Whole },
    File { name: "video.mp4", size: 64 * 1024, delay: Duration::from_millis(320), serve: Serve::CutOffHalfway },
];
// ANCHOR_END: files

/// The first `size` bytes of file `name`: a pattern the client can check,
/// different for every file.
fn content(name: &str, size: usize) -> Vec<u8> {
    let salt = name
        .bytes()
        .fold(0u8, |acc, b| acc.wrapping_mul(31).wrapping_add(b));
    (0..size)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(salt))
        .collect()
}

/// A tiny HTTP/1.0 server on 127.0.0.1: one thread per connection.
#[derive(Debug)]
struct Server {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    acceptor: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start() -> std::io::Result<Server> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut connections = Vec::new();
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        connections.push(std::thread::spawn(move || serve(stream)));
                    }
                }
                for connection in connections {
                    let _ = connection.join();
                }
            })
        };
        Ok(Server {
            address,
            stop,
            acceptor: Some(acceptor),
        })
    }
}

impl Drop for Server {
    /// Stops the accept loop (one last connection unblocks `accept`) and
    /// waits for the connections in progress.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.address);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Answers one request: `GET /<name> HTTP/1.0`.
fn serve(stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut request = String::new();
    let mut reader = BufReader::new(&stream);
    if reader.read_line(&mut request).is_err() {
        return;
    }
    // Skip the request's headers, up to the blank line.
    let mut line = String::new();
    while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
        line.clear();
    }
    let path = request.split_whitespace().nth(1).unwrap_or("");
    let mut stream = &stream;
    let Some(file) = FILES.iter().find(|f| path == format!("/{}", f.name)) else {
        let _ = stream.write_all(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    let head = format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", file.size);
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    let body = content(file.name, file.size);
    let parts = match file.serve {
        Serve::Whole => 4,
        Serve::CutOffHalfway => 2,
    };
    for part in body.chunks(file.size.div_ceil(4)).take(parts) {
        std::thread::sleep(file.delay / 4);
        if stream.write_all(part).is_err() {
            return;
        }
    }
    // Dropping the stream closes the connection (halfway, for CutOffHalfway).
}

// ===== the client: one task per file, on our executor =====

/// Why a download failed.
#[derive(Debug)]
enum DownloadError {
    Connect(SocketAddr, std::io::Error),
    Io(std::io::Error),
    BadResponse(String),
    ClosedEarly { received: usize, expected: usize },
    Corrupt { at: usize },
    TimedOut(Duration),
}

impl fmt::Display for DownloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownloadError::Connect(address, e) => write!(f, "could not connect to {address}: {e}"),
            DownloadError::Io(e) => write!(f, "network error: {e}"),
            DownloadError::BadResponse(what) => write!(f, "bad response: {what}"),
            DownloadError::ClosedEarly { received, expected } => write!(
                f,
                "the server closed the connection after {received} of {expected} bytes"
            ),
            DownloadError::Corrupt { at } => write!(f, "wrong content at byte {at}"),
            DownloadError::TimedOut(after) => write!(f, "no answer after {after:?}"),
        }
    }
}

impl From<std::io::Error> for DownloadError {
    fn from(e: std::io::Error) -> Self {
        DownloadError::Io(e)
    }
}

/// Prints a line stamped with the time since `start`.
fn say(start: Instant, name: &str, line: &str) {
    println!("[{:4.2} s] {name}: {line}", start.elapsed().as_secs_f64());
}

/// Reads the response's head (up to the blank line) and returns the
/// `Content-Length`, plus any body bytes that came with the head.
async fn read_head(stream: &mut Async<TcpStream>) -> Result<(usize, Vec<u8>), DownloadError> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 1024];
    let end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > 8 * 1024 {
            return Err(DownloadError::BadResponse("head longer than 8 KiB".into()));
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(DownloadError::BadResponse(
                "closed before the head ended".into(),
            ));
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().unwrap_or("");
    if status.split_whitespace().nth(1) != Some("200") {
        return Err(DownloadError::BadResponse(format!(
            "the server said {status:?}"
        )));
    }
    let length = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| key.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .ok_or_else(|| DownloadError::BadResponse("no Content-Length".into()))?;
    Ok((length, buffer.split_off(end + 4)))
}

// ANCHOR: download
/// Downloads `name` from `server`, reporting each quarter as it arrives.
async fn download(start: Instant, server: SocketAddr, name: &str) -> Result<usize, DownloadError> {
    say(start, name, "connecting");
    let mut stream = Async::<TcpStream>::connect(server) // waits: the reactor
        .await // wakes us when the socket is connected
        .map_err(|e| DownloadError::Connect(server, e))?;
    let request = format!("GET /{name} HTTP/1.0\r\nHost: {server}\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;

    let (expected, mut body) = read_head(&mut stream).await?;
    let mut quarters_reported = 0;
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        // Report every quarter passed (several, if they came at once).
        while quarters_reported < 4 && body.len() * 4 >= expected * (quarters_reported + 1) {
            quarters_reported += 1;
            say(
                start,
                name,
                &format!("{}% of {} KiB", quarters_reported * 25, expected / 1024),
            );
        }
        if body.len() >= expected {
            break;
        }
        let n = stream.read(&mut chunk).await?; // waits for the next bytes
        if n == 0 {
            return Err(DownloadError::ClosedEarly {
                received: body.len(),
                expected,
            });
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let wanted = content(name, body.len());
    if let Some(at) = (0..body.len()).find(|&i| body[i] != wanted[i]) {
        return Err(DownloadError::Corrupt { at });
    }
    Ok(body.len())
}
// ANCHOR_END: download

// ANCHOR: main
async fn download_all(
    server: SocketAddr,
    nowhere: SocketAddr,
) -> Vec<(String, Result<usize, DownloadError>)> {
    let start = Instant::now();
    // One task per file, all started at once; plus one from a dead address.
    let mut wanted: Vec<(String, SocketAddr)> = FILES
        .iter()
        .map(|file| (file.name.to_string(), server))
        .collect();
    wanted.push(("notes.txt".to_string(), nowhere));
    let tasks: Vec<_> = wanted
        .into_iter()
        .map(|(name, address)| {
            spawn(async move {
                let limit = Duration::from_secs(10);
                let result = match timeout(limit, download(start, address, &name)).await {
                    Ok(result) => result,
                    Err(_) => Err(DownloadError::TimedOut(limit)),
                };
                match &result {
                    Ok(bytes) => say(start, &name, &format!("done, {bytes} bytes")),
                    Err(error) => say(start, &name, &format!("FAILED: {error}")),
                }
                (name, result)
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("a download task panicked"));
    }
    results
}
// ANCHOR_END: main

fn main() {
    let server = Server::start().expect("start the local server");
    // An address where nothing listens: bind a port, then let it go.
    let nowhere = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("find a free port");
    println!(
        "server on {}; nothing listens on {}",
        server.address, nowhere
    );

    let executor = Executor::new();
    let wall = std::time::Instant::now();
    let results = executor.block_on(download_all(server.address, nowhere));
    let took = wall.elapsed();
    drop(server);

    let delays: Duration = FILES.iter().map(|file| file.delay).sum();
    let ok = results.iter().filter(|(_, r)| r.is_ok()).count();
    println!();
    println!("{ok} of {} files downloaded:", results.len());
    for (name, result) in &results {
        match result {
            Ok(bytes) => println!("  {name:<12} ok, {bytes} bytes"),
            Err(error) => println!("  {name:<12} failed: {error}"),
        }
    }
    println!(
        "total time {:.2} s; the server's delays add up to {:.2} s",
        took.as_secs_f64(),
        delays.as_secs_f64()
    );
}
