//! The small part of HTTP/1.1 the rehearsal server speaks, on any byte
//! stream: reading one request (head, then a `Content-Length` body) within
//! size limits, writing one response, and decoding percent-escaped URLs.
//!
//! Nothing here touches a socket or a clock, so the parser is tested and
//! fuzzed on byte slices; the server adds deadlines through the reader it
//! passes in (a read that times out surfaces as [`ReadError::TimedOut`]).
//! Not supported, and refused with a status rather than misread: chunked
//! bodies (501), HTTP/2 and versions other than 1.0 and 1.1 (505), targets
//! that are not a path (400).

use std::io::{BufRead, ErrorKind, Read, Write};

/// Sizes a request may not exceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Request line plus headers, bytes.
    pub max_head_bytes: usize,
    /// Header fields.
    pub max_headers: usize,
    /// Body, bytes.
    pub max_body_bytes: usize,
}

impl Default for Limits {
    /// 16 KiB of head, 64 headers, 1 MiB of body: far above what the API's
    /// requests need (a few hundred bytes), far below what would hurt.
    fn default() -> Self {
        Self {
            max_head_bytes: 16 * 1024,
            max_headers: 64,
            max_body_bytes: 1 << 20,
        }
    }
}

/// A request's line and headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Method, as sent (methods are case-sensitive).
    pub method: String,
    /// The request target: a path with an optional `?query`, still escaped.
    pub target: String,
    /// Header fields in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// Body length announced by `Content-Length` (0 without one).
    pub content_length: usize,
    /// Whether the client wants the connection kept open after the response.
    pub keep_alive: bool,
    /// The client waits for `100 Continue` before sending its body.
    pub expect_continue: bool,
}

impl Head {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// The first header named `name` (case-insensitive) in `headers`.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Why no request could be read.
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed the connection before sending anything (normal end of
    /// a keep-alive connection).
    Closed,
    /// The reader's deadline passed; `started` when part of a request had
    /// arrived (then the client deserves a 408).
    TimedOut {
        /// Whether any byte of the request had arrived.
        started: bool,
    },
    /// The bytes are not a request this server accepts: answer `status`.
    Invalid {
        /// HTTP status to answer with.
        status: u16,
        /// What is wrong.
        message: String,
    },
    /// The connection failed.
    Io(std::io::Error),
}

fn invalid(status: u16, message: impl Into<String>) -> ReadError {
    ReadError::Invalid {
        status,
        message: message.into(),
    }
}

fn io_error(e: std::io::Error, started: bool) -> ReadError {
    match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => ReadError::TimedOut { started },
        _ => ReadError::Io(e),
    }
}

/// Reads one line (up to `budget` bytes, `\n` included) into `line`; returns
/// false at the end of the stream.
fn read_line<R: BufRead>(
    reader: &mut R,
    budget: &mut usize,
    line: &mut Vec<u8>,
    started: bool,
) -> Result<bool, ReadError> {
    line.clear();
    if *budget == 0 {
        return Err(invalid(431, "the request head is too large"));
    }
    let limit = u64::try_from(*budget).unwrap_or(u64::MAX);
    let n = reader
        .by_ref()
        .take(limit)
        .read_until(b'\n', line)
        .map_err(|e| io_error(e, started || !line.is_empty()))?;
    *budget -= n;
    if n == 0 {
        return Ok(false);
    }
    if line.last() != Some(&b'\n') {
        return Err(if *budget == 0 {
            invalid(431, "the request head is too large")
        } else {
            invalid(400, "the connection closed in the middle of the request head")
        });
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(true)
}

/// Reads a request line and its headers. Empty lines before the request line
/// are skipped (RFC 9112 §2.2).
pub fn read_head<R: BufRead>(reader: &mut R, limits: &Limits) -> Result<Head, ReadError> {
    let mut budget = limits.max_head_bytes;
    let mut line = Vec::new();
    loop {
        let started = budget < limits.max_head_bytes;
        if !read_line(reader, &mut budget, &mut line, started)? {
            return Err(if started {
                invalid(400, "the connection closed in the middle of the request head")
            } else {
                ReadError::Closed
            });
        }
        if !line.is_empty() {
            break;
        }
    }
    let (method, target, http_1_1) = request_line(&line)?;
    let mut headers = Vec::new();
    loop {
        if !read_line(reader, &mut budget, &mut line, true)? {
            return Err(invalid(
                400,
                "the connection closed in the middle of the request head",
            ));
        }
        if line.is_empty() {
            break;
        }
        if headers.len() == limits.max_headers {
            return Err(invalid(
                431,
                format!("more than {} header fields", limits.max_headers),
            ));
        }
        headers.push(header_field(&line)?);
    }
    head_from(method, target, http_1_1, headers, limits)
}

/// Method, target and whether the version is 1.1 (else 1.0).
fn request_line(line: &[u8]) -> Result<(String, String, bool), ReadError> {
    let text = std::str::from_utf8(line).map_err(|_| invalid(400, "the request line is not UTF-8"))?;
    let mut parts = text.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid(400, "the request line must be `METHOD /path HTTP/1.1`"));
    };
    if method.is_empty() || !method.bytes().all(is_token_byte) {
        return Err(invalid(400, format!("malformed method {method:?}")));
    }
    if !target.starts_with('/') || !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(
            400,
            format!("the request target must be a path, got {target:?}"),
        ));
    }
    let http_1_1 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => {
            return Err(invalid(
                505,
                format!("unsupported version {version:?}; use HTTP/1.1"),
            ))
        }
    };
    Ok((method.to_string(), target.to_string(), http_1_1))
}

/// `tchar` of RFC 9110 §5.6.2: what a method or a header name consists of.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn header_field(line: &[u8]) -> Result<(String, String), ReadError> {
    let text = std::str::from_utf8(line).map_err(|_| invalid(400, "a header field is not UTF-8"))?;
    let Some((name, value)) = text.split_once(':') else {
        return Err(invalid(400, format!("malformed header field {text:?}")));
    };
    if name.is_empty() || !name.bytes().all(is_token_byte) {
        // Also refuses obsolete line folding (a line starting with a space).
        return Err(invalid(400, format!("malformed header name {name:?}")));
    }
    Ok((name.to_string(), value.trim_matches([' ', '\t']).to_string()))
}

fn head_from(
    method: String,
    target: String,
    http_1_1: bool,
    headers: Vec<(String, String)>,
    limits: &Limits,
) -> Result<Head, ReadError> {
    if header(&headers, "Transfer-Encoding").is_some() {
        return Err(invalid(
            501,
            "Transfer-Encoding is not supported; send a Content-Length",
        ));
    }
    let content_length = content_length(&headers, limits)?;
    let has_token = |name: &str, token: &str| {
        headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    let keep_alive = if http_1_1 {
        !has_token("Connection", "close")
    } else {
        has_token("Connection", "keep-alive")
    };
    let expect_continue = http_1_1 && has_token("Expect", "100-continue");
    Ok(Head {
        method,
        target,
        headers,
        content_length,
        keep_alive,
        expect_continue,
    })
}

/// The announced body length; several `Content-Length` fields must agree.
fn content_length(headers: &[(String, String)], limits: &Limits) -> Result<usize, ReadError> {
    let mut found: Option<&str> = None;
    for (_, value) in headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
    {
        if found.is_some_and(|f| f != value) {
            return Err(invalid(400, "conflicting Content-Length fields"));
        }
        found = Some(value);
    }
    let Some(text) = found else { return Ok(0) };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            400,
            format!("Content-Length must be a number of bytes, got {text:?}"),
        ));
    }
    match text.parse::<usize>() {
        Ok(n) if n <= limits.max_body_bytes => Ok(n),
        _ => Err(invalid(
            413,
            format!(
                "the body may be at most {} bytes, {text} announced",
                limits.max_body_bytes
            ),
        )),
    }
}

/// Reads the `length` bytes of a body.
pub fn read_body<R: Read>(reader: &mut R, length: usize) -> Result<Vec<u8>, ReadError> {
    let mut body = vec![0; length];
    reader.read_exact(&mut body).map_err(|e| match e.kind() {
        ErrorKind::UnexpectedEof => invalid(400, "the connection closed in the middle of the body"),
        _ => io_error(e, true),
    })?;
    Ok(body)
}

/// Reads a whole request from `raw` (no socket): the head and its body.
/// Bytes after the announced body are ignored.
pub fn parse_request(raw: &[u8], limits: &Limits) -> Result<(Head, Vec<u8>), ReadError> {
    let mut reader = raw;
    let head = read_head(&mut reader, limits)?;
    let body = read_body(&mut reader, head.content_length)?;
    Ok((head, body))
}

/// The reason phrase of the statuses this server sends.
fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// Writes a JSON response in one `write` (no small segments for Nagle to hold).
pub fn write_response<W: Write>(
    out: &mut W,
    status: u16,
    body: &[u8],
    keep_alive: bool,
) -> std::io::Result<()> {
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let mut bytes = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n",
        reason(status),
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    out.write_all(&bytes)?;
    out.flush()
}

/// The interim response a client sending `Expect: 100-continue` waits for.
pub fn write_continue<W: Write>(out: &mut W) -> std::io::Result<()> {
    out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    out.flush()
}

/// Decodes `%XX` escapes (RFC 3986 §2.1). `+` stays a plus: only the
/// form encoding of query strings means a space by it, and this API's clients
/// escape spaces as `%20`. Refuses a `%` not followed by two hex digits and
/// bytes that are not UTF-8 once decoded.
pub fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit));
        let Some(&[high, low]) = hex else {
            return Err(format!("malformed percent-escape in {text:?}"));
        };
        let value = hex_value(high) * 16 + hex_value(low);
        out.push(value);
        i += 3;
    }
    String::from_utf8(out).map_err(|_| format!("{text:?} does not decode to UTF-8"))
}

/// The value of an ASCII hex digit (callers checked it is one).
fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit.to_ascii_uppercase().wrapping_sub(b'A') + 10,
    }
}

/// A target's path segments, each decoded (an escaped `/` stays inside its
/// segment), and its raw query.
pub fn split_target(target: &str) -> Result<(Vec<String>, Option<&str>), String> {
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let segments = path
        .trim_matches('/')
        .split('/')
        .map(percent_decode)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((segments, query))
}

/// A query's `key=value` pairs, decoded. A key without `=` has an empty value.
pub fn parse_query(query: &str) -> Result<Vec<(String, String)>, String> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((percent_decode(key)?, percent_decode(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<(Head, Vec<u8>), ReadError> {
        parse_request(raw.as_bytes(), &Limits::default())
    }

    fn status_of(raw: &str) -> u16 {
        match parse(raw) {
            Err(ReadError::Invalid { status, .. }) => status,
            other => panic!("{raw:?} gave {other:?}"),
        }
    }

    #[test]
    fn reads_a_request_with_a_body_and_keep_alive_rules() {
        let (head, body) =
            parse("\r\nPOST /v1/x?a=1 HTTP/1.1\r\nHost: h\r\ncontent-length: 4\r\nExpect: 100-continue\r\n\r\nabcdEXTRA")
                .unwrap();
        assert_eq!(
            (head.method.as_str(), head.target.as_str()),
            ("POST", "/v1/x?a=1")
        );
        assert_eq!(body, b"abcd");
        assert!(head.keep_alive && head.expect_continue);
        assert_eq!(head.header("HOST"), Some("h"));
        let (old, _) = parse("GET / HTTP/1.0\n\n").unwrap(); // bare LF is tolerated
        assert!(!old.keep_alive);
        let (closing, _) = parse("GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n").unwrap();
        assert!(!closing.keep_alive);
    }

    #[test]
    fn refuses_what_it_does_not_speak_with_a_status() {
        assert_eq!(status_of("GET / HTTP/2\r\n\r\n"), 505);
        assert_eq!(status_of("GET http://x/ HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status_of("GET  / HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(
            status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            501
        );
        assert_eq!(
            status_of("POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n"),
            413
        );
        assert_eq!(
            status_of("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
            413
        );
        assert_eq!(status_of("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), 400);
        assert_eq!(
            status_of("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            400
        );
        assert_eq!(status_of("GET / HTTP/1.1\r\n folded\r\n\r\n"), 400);
        assert_eq!(status_of("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"), 400);
        assert_eq!(status_of("GET / HTTP/1.1\r\nHost: h"), 400);
        let huge = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(20_000));
        assert_eq!(status_of(&huge), 431);
        let many = format!("GET / HTTP/1.1\r\n{}\r\n", "X: y\r\n".repeat(65));
        assert_eq!(status_of(&many), 431);
        assert!(matches!(parse(""), Err(ReadError::Closed)));
    }

    #[test]
    fn percent_escapes_decode_per_segment() {
        let (segments, query) =
            split_target("/v1/spacecraft/ISS%20%28ZARYA%29/activities/a%2Fb?x=1").unwrap();
        assert_eq!(segments, ["v1", "spacecraft", "ISS (ZARYA)", "activities", "a/b"]);
        assert_eq!(query, Some("x=1"));
        assert_eq!(percent_decode("caf%C3%A9+1").unwrap(), "café+1");
        for bad in ["%", "%4", "%zz", "%+1", "%ff"] {
            assert!(percent_decode(bad).is_err(), "{bad}");
        }
        let pairs = parse_query("since=3&timeout_s=Na%4E&flag&&").unwrap();
        assert_eq!(
            pairs,
            [
                ("since".into(), "3".into()),
                ("timeout_s".into(), "NaN".into()),
                ("flag".into(), String::new())
            ]
        );
    }
}
