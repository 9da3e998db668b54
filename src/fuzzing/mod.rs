//! The input format of the router fuzz target: arbitrary bytes turned into one HTTP request
//! on one of the portal's routes. Shared by the target (`fuzz/fuzz_targets/router.rs`) and
//! its seed replay (`tests/api/router_seeds.rs`), so that a seed is the same request in both.
//!
//! An input is four parts split at its first three line feeds, `route\nsegment\nquery\nbody`
//! (missing parts are empty). `route` names one of [`ROUTES`] by its key (`POST /accedi`);
//! any other text picks one by its first byte, which lets the fuzzer move between routes
//! cheaply. `segment` replaces the route's `{…}` placeholder (left empty: the id of a real
//! row, so the body reaches the handler past the path), `query` follows the `?` and `body`
//! is the urlencoded form (after the caller's CSRF field) or the JSON. Bytes a URI cannot
//! carry are percent-encoded; `%` is kept as sent, so invalid escapes reach the app.

use axum::http::{Method, Request, header};

/// Who sends the request: each has its own session (or the API token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// A browser with a session but nobody logged in.
    Anonymous,
    /// The logged-in legal representative of the seeded company.
    Customer,
    /// A logged-in Servizio Clienti operator (password and app code).
    Staff,
    /// A sales channel with the internal API's bearer token.
    Api,
}

/// One route that takes input; `path` has at most one placeholder (`{user}`, `{line}`,
/// `{company}`, or `{token}` and `{session}`, which get the link token when left empty).
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub key: &'static str,
    pub caller: Caller,
}

impl Route {
    fn method(&self) -> Method {
        if self.key.starts_with("POST ") {
            Method::POST
        } else {
            Method::GET
        }
    }

    fn path(&self) -> &'static str {
        self.key.split_once(' ').map_or(self.key, |(_, path)| path)
    }
}

pub(crate) const fn route(key: &'static str, caller: Caller) -> Route {
    Route { key, caller }
}

mod routes;

pub use routes::ROUTES;

/// A session cookie (`name=value`, none when the client keeps its own cookie jar) and the
/// CSRF token of that session.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub cookie: Option<String>,
    pub csrf: String,
}

/// What the driver seeded and holds: real ids for the placeholders, and each caller's
/// credentials.
#[derive(Debug, Clone, Default)]
pub struct World {
    /// An employee of the customer's company (never the customer themself).
    pub user_id: String,
    pub line_id: String,
    pub company_id: String,
    /// An emailed link token (activation or recovery), or any text.
    pub link_token: String,
    pub anonymous: Session,
    pub customer: Session,
    pub staff: Session,
    pub api_token: String,
}

/// One input, split: the route and the three raw parts.
#[derive(Debug, Clone)]
pub struct FuzzRequest<'a> {
    pub route: Route,
    pub segment: &'a [u8],
    pub query: &'a [u8],
    pub body: &'a [u8],
}

/// Splits `data` as the module's documentation says.
pub fn split(data: &[u8]) -> FuzzRequest<'_> {
    let mut parts = data.splitn(4, |&b| b == b'\n');
    let selector = parts.next().unwrap_or_default();
    let route = ROUTES
        .iter()
        .find(|r| r.key.as_bytes() == selector)
        .copied()
        .unwrap_or_else(|| {
            ROUTES[usize::from(selector.first().copied().unwrap_or(0)) % ROUTES.len()]
        });
    FuzzRequest {
        route,
        segment: parts.next().unwrap_or_default(),
        query: parts.next().unwrap_or_default(),
        body: parts.next().unwrap_or_default(),
    }
}

impl FuzzRequest<'_> {
    /// The request against `base` (`""` for the router itself, `http://host:port` over the
    /// network), with the caller's cookie, CSRF field or bearer token; `None` when no URI can
    /// be built (a server would answer 400 before any handler).
    pub fn to_http(&self, world: &World, base: &str) -> Option<Request<Vec<u8>>> {
        let mut uri = format!("{base}{}", self.path(world));
        if !self.query.is_empty() {
            uri.push('?');
            uri.push_str(&encode(self.query, b"/?"));
        }
        let mut request = Request::builder().method(self.route.method()).uri(uri);
        let session = match self.route.caller {
            Caller::Anonymous => Some(&world.anonymous),
            Caller::Customer => Some(&world.customer),
            Caller::Staff => Some(&world.staff),
            Caller::Api => None,
        };
        let body = match session {
            Some(session) => {
                if let Some(cookie) = &session.cookie {
                    request = request.header(header::COOKIE, cookie);
                }
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                let mut body = format!("csrf_token={}&", session.csrf).into_bytes();
                body.extend_from_slice(self.body);
                body
            }
            None => {
                request = request
                    .header(header::AUTHORIZATION, format!("Bearer {}", world.api_token))
                    .header(header::CONTENT_TYPE, "application/json");
                self.body.to_vec()
            }
        };
        let body = if self.route.method() == Method::GET {
            Vec::new()
        } else {
            body
        };
        request.body(body).ok()
    }

    /// The route's path with its placeholder filled: the segment, or the real id when the
    /// segment is empty.
    fn path(&self, world: &World) -> String {
        let path = self.route.path();
        let Some(start) = path.find('{') else {
            return path.to_owned();
        };
        let end = path[start..]
            .find('}')
            .map_or(path.len(), |e| start + e + 1);
        let real = match &path[start..end] {
            "{user}" => &world.user_id,
            "{line}" => &world.line_id,
            "{company}" => &world.company_id,
            _ => &world.link_token,
        };
        let segment = if self.segment.is_empty() {
            encode(real.as_bytes(), b"")
        } else {
            encode(self.segment, b"")
        };
        format!("{}{segment}{}", &path[..start], &path[end..])
    }
}

/// `raw` with every byte a URI may not carry percent-encoded; `%` and `also` stay as sent.
fn encode(raw: &[u8], also: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for &b in raw {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@%".contains(&b) || also.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> World {
        World {
            user_id: "u-1".into(),
            customer: Session {
                cookie: Some("area_clienti=abc".into()),
                csrf: "tok".into(),
            },
            ..World::default()
        }
    }

    #[test]
    fn a_named_route_gets_its_segment_query_and_body_encoded_where_a_uri_needs_it() {
        let data = b"POST /area-clienti/gestione-utenze/utenti/{user}/modifica\na/b\xff\nq=%zz #\nemail=%00";
        let request = split(data).to_http(&world(), "").expect("a request");
        assert_eq!(request.method(), Method::POST);
        assert_eq!(
            request.uri().to_string(),
            "/area-clienti/gestione-utenze/utenti/a%2Fb%FF/modifica?q=%zz%20%23"
        );
        assert_eq!(request.body(), b"csrf_token=tok&email=%00");
        assert_eq!(request.headers()[header::COOKIE], "area_clienti=abc");
    }

    #[test]
    fn an_empty_segment_is_the_real_id_and_any_other_selector_still_picks_a_route() {
        let request = split(b"POST /area-clienti/gestione-utenze/utenti/{user}/reinvia")
            .to_http(&world(), "")
            .expect("a request");
        assert_eq!(
            request.uri().path(),
            "/area-clienti/gestione-utenze/utenti/u-1/reinvia"
        );
        for data in [&b""[..], b"\xff\xff", b"zzz\n\n\n"] {
            assert!(
                split(data)
                    .to_http(&world(), "http://127.0.0.1:1")
                    .is_some()
            );
        }
    }
}
