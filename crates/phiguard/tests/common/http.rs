//! A deliberately small HTTP/1.1 client over `std::net::TcpStream`.
//!
//! The tests need to see exactly what went over the wire (status, every header, the raw body)
//! and to send things a polite client would not (oversized bodies, broken JSON, odd headers).
//! One connection per request with `Connection: close`, so a response ends where the stream
//! ends and no pooling hides a server that closed a connection early.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

/// How long a test waits on a socket before calling the server hung.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(60);

/// A request being put together.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    addr: SocketAddr,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A response as it arrived.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    /// The status code.
    pub(crate) status: u16,
    /// Header names in lowercase, in arrival order.
    pub(crate) headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub(crate) body: Vec<u8>,
}

impl Request {
    /// A request for `path` on the server at `addr`.
    pub(crate) fn new(addr: SocketAddr, method: &str, path: &str) -> Self {
        Request {
            addr,
            method: method.to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// `METHOD path`, for messages.
    pub(crate) fn describe(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Adds a header.
    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `Authorization: Bearer <token>`.
    pub(crate) fn bearer(self, token: &str) -> Self {
        self.header("Authorization", &format!("Bearer {token}"))
    }

    /// `X-Purpose-Of-Use`.
    pub(crate) fn purpose(self, code: &str) -> Self {
        self.header("X-Purpose-Of-Use", code)
    }

    /// `X-Break-Glass-Reason`.
    pub(crate) fn reason(self, text: &str) -> Self {
        self.header("X-Break-Glass-Reason", text)
    }

    /// A JSON body.
    pub(crate) fn json(self, value: &Value) -> Self {
        self.body("application/json", value.to_string().into_bytes())
    }

    /// A body of any media type.
    pub(crate) fn body(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.headers
            .push(("Content-Type".to_owned(), content_type.to_owned()));
        self.body = body;
        self
    }

    fn head(&self, extra: &[(&str, String)]) -> String {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.method, self.path, self.addr
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        for (name, value) in extra {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head
    }

    /// Sends the request and reads the whole response.
    ///
    /// A server may answer before it has read the whole body (a body over the size limit, say)
    /// and close the connection, so the rest of the body fails to go out: the answer it sent
    /// is still read and returned.
    pub(crate) fn send(self) -> Response {
        let mut stream = connect(self.addr);
        let head = self.head(&[("Content-Length", self.body.len().to_string())]);
        let written = stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(&self.body));
        if let Err(error) = written {
            assert!(
                matches!(
                    error.kind(),
                    std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
                ),
                "the request could not be written: {error}"
            );
        }
        Response::parse(&read_to_end(&mut stream))
    }

    /// Sends the head with `Expect: 100-continue` and the body only if the server asks for it,
    /// as careful clients do with large uploads. Returns the final response.
    pub(crate) fn send_expecting_continue(self) -> Response {
        let mut stream = connect(self.addr);
        let head = self.head(&[
            ("Content-Length", self.body.len().to_string()),
            ("Expect", "100-continue".to_owned()),
        ]);
        stream
            .write_all(head.as_bytes())
            .expect("the request head could not be written");

        let mut received = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            let n = stream.read(&mut buffer).expect("reading the interim reply");
            if n == 0 {
                return Response::parse(&received);
            }
            received.extend_from_slice(&buffer[..n]);
            let Some(end) = find(&received, b"\r\n\r\n") else {
                continue;
            };
            if received.starts_with(b"HTTP/1.1 100") {
                received.drain(..end + 4);
                stream
                    .write_all(&self.body)
                    .expect("the request body could not be written");
                received.extend(read_to_end(&mut stream));
                return Response::parse(&received);
            }
            received.extend(read_to_end(&mut stream));
            return Response::parse(&received);
        }
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("the server does not accept connections");
    stream
        .set_read_timeout(Some(SOCKET_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(SOCKET_TIMEOUT)))
        .expect("socket timeouts");
    stream
}

/// Reads until the server closes the connection. A reset after some bytes arrived ends the
/// response as a close would.
fn read_to_end(stream: &mut impl Read) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return bytes,
            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && !bytes.is_empty() => {
                return bytes;
            }
            Err(e) => panic!("the response could not be read: {e}"),
        }
    }
}

/// Writes `bytes` to `addr` as they are and returns whatever comes back before the server
/// closes the connection, the timeout passes, or `enough` bytes have arrived.
pub(crate) fn raw_exchange(
    addr: SocketAddr,
    bytes: &[u8],
    timeout: Duration,
    enough: usize,
) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).expect("the server does not accept connections");
    stream.set_read_timeout(Some(timeout)).expect("timeout");
    stream
        .write_all(bytes)
        .expect("the bytes could not be written");
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return received,
            Ok(n) => {
                received.extend_from_slice(&buffer[..n]);
                if received.len() >= enough {
                    return received;
                }
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl Response {
    /// Parses a complete HTTP/1.1 response.
    pub(crate) fn parse(bytes: &[u8]) -> Response {
        let end = find(bytes, b"\r\n\r\n").unwrap_or_else(|| {
            panic!(
                "the server sent no complete response head ({} bytes received)",
                bytes.len()
            )
        });
        let head = std::str::from_utf8(&bytes[..end]).expect("the response head is not UTF-8");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().expect("a status line");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("malformed status line {status_line:?}"));
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();

        let rest = &bytes[end + 4..];
        let chunked = headers
            .iter()
            .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
        let body = if chunked {
            dechunk(rest)
        } else {
            match headers.iter().find(|(n, _)| n == "content-length") {
                Some((_, length)) => {
                    let length: usize = length.parse().expect("a numeric content-length");
                    assert!(
                        rest.len() >= length,
                        "the body ended after {} of {length} bytes",
                        rest.len()
                    );
                    rest[..length].to_vec()
                }
                None => rest.to_vec(),
            }
        };
        Response {
            status,
            headers,
            body,
        }
    }

    /// The first value of a header.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| {
            panic!(
                "status {} with a body that is not JSON: {}",
                self.status,
                self.text()
            )
        })
    }

    /// The request id the server stamped on the response.
    pub(crate) fn request_id(&self) -> String {
        self.header("x-request-id")
            .unwrap_or_else(|| panic!("status {} without x-request-id", self.status))
            .to_owned()
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub(crate) fn expect_status(&self, status: u16) -> &Self {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            self.text()
        );
        self
    }

    /// Asserts an RFC 9457 problem document with the given status and type slug (the part
    /// after `urn:phiguard:problem:`), and returns the document.
    #[track_caller]
    pub(crate) fn expect_problem(&self, status: u16, slug: &str) -> Value {
        self.expect_status(status);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "a problem document must be served as application/problem+json: {}",
            self.text()
        );
        assert!(
            self.header("x-request-id").is_some_and(|id| !id.is_empty()),
            "every response carries an x-request-id"
        );
        let problem = self.json();
        assert_eq!(
            problem["type"],
            format!("urn:phiguard:problem:{slug}"),
            "problem type; document: {problem}"
        );
        assert_eq!(problem["status"], status, "the document repeats the status");
        for field in ["title", "detail"] {
            assert!(
                problem[field].as_str().is_some_and(|t| !t.is_empty()),
                "the problem document needs a `{field}`: {problem}"
            );
        }
        problem
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = find(rest, b"\r\n") else {
            return body;
        };
        let size_text = std::str::from_utf8(&rest[..line_end]).expect("a chunk size line");
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).expect("a hexadecimal chunk size");
        rest = &rest[line_end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}
