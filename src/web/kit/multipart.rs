//! `multipart/form-data` (RFC 7578), for the one upload form (the CSV import of Gestione
//! Utenze): the body is read up to a limit, then split into its parts. Only what browsers
//! send is understood: a boundary in the Content-Type, parts with a `Content-Disposition:
//! form-data; name="…"` (and `filename="…"` for a file). The CSRF token travels as a part
//! like any other field and is checked before anything is done with the rest.

use std::pin::Pin;

use axum::body::Body;
use axum::http::{HeaderMap, header};
use hyper::body::Body as _;

/// One part of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    /// Present for a file input (possibly empty, when no file was chosen).
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

/// Why a body could not be read as a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultipartError {
    /// Over the limit: the rest of the body was read and dropped (up to a bound), so the
    /// browser gets the answer instead of a broken connection.
    TooLarge,
    /// Not `multipart/form-data`, or not well formed.
    Malformed,
}

/// A body bigger than the limit is still read, and dropped, up to this much: a browser
/// that is cut off while it sends shows its own network error rather than our page.
const DRAIN_AT_MOST: usize = 32 * 1024 * 1024;

/// The boundary of a `multipart/form-data` Content-Type.
pub fn boundary(headers: &HeaderMap) -> Option<String> {
    let content_type = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let mut params = content_type.split(';');
    let kind = params.next()?.trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|b| !b.is_empty() && b.len() <= 70)
}

/// The parts of a `multipart/form-data` body of at most `limit` bytes.
pub async fn read(
    headers: &HeaderMap,
    mut body: Body,
    limit: usize,
) -> Result<Vec<Part>, MultipartError> {
    let boundary = boundary(headers).ok_or(MultipartError::Malformed)?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut bytes = Vec::new();
    let mut over = declared.is_some_and(|n| n > limit);
    let mut drained = 0usize;
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|_| MultipartError::Malformed)?;
        let Ok(chunk) = frame.into_data() else {
            continue; // trailers
        };
        if over {
            drained += chunk.len();
            if drained > DRAIN_AT_MOST {
                break;
            }
        } else if bytes.len() + chunk.len() > limit {
            over = true;
            bytes = Vec::new();
        } else {
            bytes.extend_from_slice(&chunk);
        }
    }
    if over {
        return Err(MultipartError::TooLarge);
    }
    parse(&bytes, &boundary).ok_or(MultipartError::Malformed)
}

/// Reads and drops a body (up to a bound): an upload answered without its content.
pub async fn drain(mut body: Body) {
    let mut drained = 0usize;
    while let Some(Ok(frame)) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
    {
        drained += frame.data_ref().map_or(0, |d| d.len());
        if drained > DRAIN_AT_MOST {
            return;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let last_start = haystack.len() - needle.len();
    let mut i = from;
    while i <= last_start {
        let at = haystack[i..=last_start].iter().position(|&b| b == first)? + i;
        if haystack[at..at + needle.len()] == *needle {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// The parts of `body` separated by `--boundary`; `None` when it is not well formed.
pub fn parse(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let mut at = find(body, delimiter.as_bytes(), 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        let rest = body.get(at..)?;
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        if !rest.starts_with(b"\r\n") {
            return None;
        }
        let head_start = at + 2;
        let head_end = find(body, b"\r\n\r\n", head_start)?;
        let head = std::str::from_utf8(&body[head_start..head_end]).ok()?;
        let data_start = head_end + 4;
        let data_end = find(body, next_delimiter.as_bytes(), data_start)?;
        let (name, filename) = disposition(head)?;
        parts.push(Part {
            name,
            filename,
            data: body[data_start..data_end].to_vec(),
        });
        at = data_end + next_delimiter.len();
    }
}

/// `name` and `filename` of a part's `Content-Disposition: form-data` header.
fn disposition(head: &str) -> Option<(String, Option<String>)> {
    let value = head.split("\r\n").find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-disposition")
            .then_some(v)
    })?;
    let mut params = value.split(';');
    if !params.next()?.trim().eq_ignore_ascii_case("form-data") {
        return None;
    }
    let (mut name, mut filename) = (None, None);
    for param in params {
        let Some((k, v)) = param.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"').to_owned();
        match k.trim().to_ascii_lowercase().as_str() {
            "name" => name = Some(v),
            "filename" => filename = Some(v),
            _ => {}
        }
    }
    Some((name?, filename))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"utenze.csv\"\r\nContent-Type: text/csv\r\n\r\nmobile;email\r\n--X;\r\n\r\n--XyZ--\r\n";

    #[test]
    fn fields_and_files_are_split_at_the_boundary() {
        let parts = parse(BODY, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "csrf_token");
        assert_eq!(parts[0].filename, None);
        assert_eq!(parts[0].data, b"abc");
        assert_eq!(parts[1].filename.as_deref(), Some("utenze.csv"));
        assert_eq!(parts[1].data, b"mobile;email\r\n--X;\r\n");
    }

    #[test]
    fn a_truncated_or_foreign_body_is_refused() {
        assert_eq!(parse(&BODY[..BODY.len() - 12], "XyZ"), None);
        assert_eq!(parse(b"csrf_token=abc", "XyZ"), None);
        assert_eq!(parse(BODY, "other"), None);
    }

    #[test]
    fn the_boundary_comes_from_the_content_type() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            "multipart/form-data; boundary=----WebKitFormBoundaryA1"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            boundary(&headers).as_deref(),
            Some("----WebKitFormBoundaryA1")
        );
        headers.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        assert_eq!(boundary(&headers), None);
    }
}
