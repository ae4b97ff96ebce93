use super::*;

fn parse(props: &[(&str, &str)]) -> Result<RegistryConfig, ConfigError> {
    RegistryConfig::from_props(props.iter().copied())
}

fn keys(err: &ConfigError) -> Vec<&str> {
    err.errors.iter().map(|e| e.key.as_str()).collect()
}

#[test]
fn defaults_and_url_list() {
    let config = parse(&[
        (URL, " http://a:8081 , https://b.example/apis/ccompat/v7"),
        ("auto.register.schemas", "false"),
    ])
    .unwrap();
    let urls: Vec<&str> = config.endpoints.iter().map(|e| e.url.as_str()).collect();
    assert_eq!(
        urls,
        ["http://a:8081/", "https://b.example/apis/ccompat/v7"]
    );
    assert!(config.endpoints.iter().all(|e| e.auth == Auth::None));
    assert_eq!(config.cache_capacity, 1000);
    assert_eq!(config.request_timeout, Duration::from_secs(30));
    assert_eq!(
        config.retry,
        RetryPolicy {
            retries: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
        }
    );
}

#[test]
fn numbers_are_read() {
    let config = parse(&[
        (URL, "http://a:8081"),
        (CACHE_CAPACITY, "0"),
        (REQUEST_TIMEOUT_MS, "2500"),
        (RETRIES, "0"),
        (RETRY_BACKOFF_MS, "5"),
        (RETRY_BACKOFF_MAX_MS, "50"),
    ])
    .unwrap();
    assert_eq!(config.cache_capacity, 0);
    assert_eq!(config.request_timeout, Duration::from_millis(2500));
    assert_eq!(config.retry.retries, 0);
    assert_eq!(config.retry.initial_backoff, Duration::from_millis(5));
    assert_eq!(config.retry.max_backoff, Duration::from_millis(50));

    // A start above the default max raises the max rather than failing.
    let config = parse(&[(URL, "http://a"), (RETRY_BACKOFF_MS, "5000")]).unwrap();
    assert_eq!(config.retry.max_backoff, Duration::from_millis(5000));
}

#[test]
fn every_bad_value_is_reported_by_key() {
    let err = parse(&[
        (CACHE_CAPACITY, "lots"),
        (REQUEST_TIMEOUT_MS, "0"),
        (RETRIES, "-1"),
        (RETRY_BACKOFF_MS, "200"),
        (RETRY_BACKOFF_MAX_MS, "100"),
        (BASIC_AUTH_SOURCE, "SASL_INHERIT"),
    ])
    .unwrap_err();
    assert_eq!(
        keys(&err),
        [
            URL,
            BASIC_AUTH_SOURCE,
            CACHE_CAPACITY,
            RETRIES,
            REQUEST_TIMEOUT_MS,
            RETRY_BACKOFF_MAX_MS
        ]
    );
    let text = err.to_string();
    assert!(
        text.contains("schema.registry.cache.capacity: 'lots' is not a non-negative integer"),
        "{text}"
    );
    assert!(text.contains("schema.registry.url: is required"), "{text}");
}

#[test]
fn bad_urls_are_named() {
    let err = parse(&[(URL, "http://ok:8081,,ftp://x,not a url,http://h/?q=1")]).unwrap_err();
    assert_eq!(keys(&err), [URL, URL, URL, URL]);
    let text = err.to_string();
    assert!(
        text.contains("empty URL") && text.contains("ftp://x") && text.contains("not a url"),
        "{text}"
    );
    assert!(text.contains("query"), "{text}");
}

#[test]
fn user_info_applies_to_every_url() {
    let config = parse(&[
        (URL, "http://a,http://olduser:oldpass@b"),
        (BASIC_AUTH_SOURCE, "USER_INFO"),
        (BASIC_AUTH_USER_INFO, "fred:pa:ss"),
    ])
    .unwrap();
    let expected = Auth::Basic {
        username: "fred".into(),
        password: "pa:ss".into(),
    };
    assert!(config.endpoints.iter().all(|e| e.auth == expected));
    assert_eq!(
        config.endpoints[1].url.as_str(),
        "http://b/",
        "credentials stay out of the URL"
    );

    let legacy = parse(&[
        (URL, "http://a"),
        (BASIC_AUTH_SOURCE, "USER_INFO"),
        (LEGACY_BASIC_AUTH_USER_INFO, "u:p"),
    ])
    .unwrap();
    assert!(matches!(&legacy.endpoints[0].auth, Auth::Basic { username, .. } if username == "u"));
}

#[test]
fn user_info_problems() {
    let missing = parse(&[(URL, "http://a"), (BASIC_AUTH_SOURCE, "USER_INFO")]).unwrap_err();
    assert_eq!(keys(&missing), [BASIC_AUTH_USER_INFO]);
    let no_colon = parse(&[
        (URL, "http://a"),
        (BASIC_AUTH_SOURCE, "USER_INFO"),
        (BASIC_AUTH_USER_INFO, "fred"),
    ])
    .unwrap_err();
    assert_eq!(keys(&no_colon), [BASIC_AUTH_USER_INFO]);
    let both = parse(&[
        (URL, "http://a"),
        (BASIC_AUTH_SOURCE, "USER_INFO"),
        (BASIC_AUTH_USER_INFO, "u:p"),
        (BEARER_AUTH_TOKEN, "t"),
    ])
    .unwrap_err();
    assert_eq!(keys(&both), [BEARER_AUTH_TOKEN]);
}

#[test]
fn credentials_in_urls_are_decoded_and_removed() {
    let config = parse(&[(
        URL,
        "https://us%40er:p%3Ass@reg.example:8443/base,http://plain",
    )])
    .unwrap();
    assert_eq!(
        config.endpoints[0].auth,
        Auth::Basic {
            username: "us@er".into(),
            password: "p:ss".into(),
        }
    );
    assert_eq!(
        config.endpoints[0].url.as_str(),
        "https://reg.example:8443/base"
    );
    assert_eq!(config.endpoints[1].auth, Auth::None);
    let debug = format!("{config:?}");
    assert!(
        !debug.contains("p:ss") && debug.contains("us@er:***"),
        "{debug}"
    );
}

#[test]
fn bearer_token() {
    let config = parse(&[(URL, "http://a"), (BEARER_AUTH_TOKEN, "s3cret")]).unwrap();
    assert_eq!(config.endpoints[0].auth, Auth::Bearer("s3cret".into()));
    assert!(!format!("{config:?}").contains("s3cret"));

    let explicit = parse(&[
        (URL, "http://u:p@a"),
        (BEARER_AUTH_SOURCE, "STATIC_TOKEN"),
        (BEARER_AUTH_TOKEN, "t"),
    ])
    .unwrap();
    assert_eq!(explicit.endpoints[0].auth, Auth::Bearer("t".into()));

    let err = parse(&[(URL, "http://a"), (BEARER_AUTH_SOURCE, "OAUTHBEARER")]).unwrap_err();
    assert_eq!(keys(&err), [BEARER_AUTH_SOURCE]);
    let err = parse(&[(URL, "http://a"), (BEARER_AUTH_SOURCE, "STATIC_TOKEN")]).unwrap_err();
    assert_eq!(keys(&err), [BEARER_AUTH_TOKEN]);
}

#[test]
fn percent_decoding() {
    assert_eq!(percent_decode("a%20b%2fc").as_deref(), Some("a b/c"));
    assert_eq!(percent_decode("100%").as_deref(), Some("100%"));
    assert_eq!(percent_decode("%zz").as_deref(), Some("%zz"));
    assert_eq!(percent_decode("%ff"), None);
}
