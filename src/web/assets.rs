//! `/static/*`: the stylesheet and scripts, compiled into the binary (rust-embed, also in
//! debug builds), so the portal runs from any directory with nothing beside it. Each answer
//! carries its content type, an ETag (the file's SHA-256) and an hour of caching; a
//! revalidation with the same ETag answers 304 without the body.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

#[derive(rust_embed::Embed)]
#[folder = "static/"]
struct StaticFiles;

const CACHE_CONTROL: &str = "public, max-age=3600";

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/static/{*path}", get(static_file))
}

async fn static_file(Path(path): Path<String>, request_headers: HeaderMap) -> Response {
    let Some(file) = StaticFiles::get(&path) else {
        return crate::web::error::AppError::NotFound.into_response();
    };
    let etag = etag_of(&file.metadata.sha256_hash());
    let headers = [
        (header::ETAG, etag.clone()),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        ),
    ];
    let revalidated = request_headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == etag || tag.trim() == "*");
    if revalidated {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    let content_type = HeaderValue::from_str(file.metadata.mimetype())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        headers,
        [(header::CONTENT_TYPE, content_type)],
        file.data.into_owned(),
    )
        .into_response()
}

/// A strong ETag: the quoted hex of the file's hash.
fn etag_of(sha256: &[u8; 32]) -> HeaderValue {
    let hex: String = sha256.iter().map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("\"{hex}\"")).expect("hex is a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_the_pages_link_is_embedded_with_its_content_type() {
        for (path, mime) in [
            ("css/app.css", "text/css"),
            ("js/password-toggle.js", "javascript"),
            ("js/passkey.js", "javascript"),
        ] {
            let file = StaticFiles::get(path).unwrap_or_else(|| panic!("{path} not embedded"));
            assert!(file.metadata.mimetype().contains(mime), "{path}");
            assert!(!file.data.is_empty(), "{path}");
        }
    }
}
