//! The fetcher's pure parts: backoff, statuses, URLs, redaction.

use super::url::*;
use super::*;
use reqwest::header::HeaderName;

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    pairs
        .iter()
        .map(|&(name, value)| {
            (
                HeaderName::from_static(name),
                HeaderValue::from_str(value).unwrap(),
            )
        })
        .collect()
}

#[test]
fn backoff_doubles_up_to_the_cap_and_honours_retry_after() {
    let policy = RetryPolicy {
        attempts: 10,
        initial_backoff: Duration::from_millis(500),
        max_backoff: Duration::from_secs(3),
        request_timeout: Duration::from_secs(1),
    };
    let pauses: Vec<u128> = (1..=5).map(|a| policy.pause(a, None).as_millis()).collect();
    assert_eq!(pauses, [500, 1000, 2000, 3000, 3000]);
    assert_eq!(
        policy.pause(1, Some(Duration::from_secs(2))),
        Duration::from_secs(2)
    );
    assert_eq!(
        policy.pause(1, Some(Duration::from_secs(60))),
        Duration::from_secs(3),
        "capped"
    );
}

#[test]
fn retry_after_reads_seconds_and_dates() {
    assert_eq!(
        retry_after(&headers(&[("retry-after", " 7 ")])),
        Some(Duration::from_secs(7))
    );
    assert_eq!(
        retry_after(&headers(&[(
            "retry-after",
            "Sun, 06 Nov 1994 08:49:37 GMT"
        )])),
        Some(Duration::ZERO),
        "a date in the past: go ahead"
    );
    let soon = (chrono::Utc::now() + chrono::TimeDelta::seconds(120))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let wait = retry_after(&headers(&[("retry-after", soon.as_str())])).unwrap();
    assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120));
    assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
    assert_eq!(retry_after(&HeaderMap::new()), None);
}

#[test]
fn statuses_are_retried_or_final() {
    let none = HeaderMap::new();
    let endpoint = "https://sis.example.org/ims/oneroster/v1p1/users";
    match status_failure(endpoint, StatusCode::UNAUTHORIZED, &none) {
        Failure::Unauthorized(SourceError::Invalid(message)) => assert_eq!(
            message,
            "GET https://sis.example.org/ims/oneroster/v1p1/users: 401 Unauthorized (check the credentials)"
        ),
        _ => panic!("401 is a refusal"),
    }
    assert!(matches!(
        status_failure(endpoint, StatusCode::FORBIDDEN, &none),
        Failure::Fatal(_)
    ));
    assert!(matches!(
        status_failure(endpoint, StatusCode::BAD_REQUEST, &none),
        Failure::Fatal(_)
    ));
    assert!(matches!(
        status_failure(endpoint, StatusCode::BAD_GATEWAY, &none),
        Failure::Retry {
            retry_after: None,
            ..
        }
    ));
    match status_failure(
        endpoint,
        StatusCode::TOO_MANY_REQUESTS,
        &headers(&[("retry-after", "1")]),
    ) {
        Failure::Retry {
            message,
            retry_after,
        } => {
            assert!(message.ends_with("429 Too Many Requests"), "{message}");
            assert_eq!(retry_after, Some(Duration::from_secs(1)));
        }
        _ => panic!("429 is retried"),
    }
}

#[test]
fn urls_carry_the_query_but_endpoints_do_not() {
    let url = request_url(
        "https://user:pw@SIS.example.org:443/ims/oneroster/v1p1/users?fields=a,b",
        &[("limit", "100".into()), ("offset", "200".into())],
    )
    .unwrap();
    assert_eq!(
        url.query(),
        Some("fields=a,b&limit=100&offset=200"),
        "appended to what the URL had"
    );
    assert_eq!(
        endpoint(&url),
        "https://sis.example.org/ims/oneroster/v1p1/users"
    );
    assert_eq!(
        path_and_query(&url),
        "/ims/oneroster/v1p1/users?fields=a,b&limit=100&offset=200"
    );
    let local = Url::parse("http://127.0.0.1:8080/x").unwrap();
    assert_eq!(endpoint(&local), "http://127.0.0.1:8080/x");
    let bad = request_url("not a url?token=s3cret", &[]).unwrap_err();
    assert!(!bad.to_string().contains("s3cret"), "{bad}");
}

#[test]
fn debug_output_hides_secrets() {
    let auth = Auth::OAuth1 {
        consumer_key: "key".into(),
        consumer_secret: "s3cret".into(),
    };
    let bearer = Auth::Bearer("tok-123".into());
    let oauth2 = Auth::OAuth2(OAuth2Client::new(
        "https://sis.example.org/token",
        "client",
        "s3cret",
        "roster",
    ));
    let text = format!("{auth:?} {bearer:?} {oauth2:?}");
    assert!(text.contains("key") && text.contains("client"), "{text}");
    assert!(
        !text.contains("s3cret") && !text.contains("tok-123"),
        "{text}"
    );
}
