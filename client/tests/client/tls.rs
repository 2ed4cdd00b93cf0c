//! Credentials and transport: bearer tokens, TLS with a given CA.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_bearer_token_is_sent_and_refusals_map_to_their_variants() {
    let server = TestServer::start().await;
    let key = server
        .key(roster_server::domain::ApiKeyRole::Admin, &[])
        .await;
    let reader = server
        .key(roster_server::domain::ApiKeyRole::Reader, &[])
        .await;
    let connect = |token: Option<&str>| {
        let builder = RosterClient::builder().endpoint(server.endpoint.as_str());
        let builder = match token {
            Some(t) => builder.bearer_token(t),
            None => builder,
        };
        builder.connect()
    };
    connect(Some(&key))
        .await
        .unwrap()
        .create_district("Allowed")
        .await
        .expect("the right key is accepted");
    let anonymous = connect(None).await.unwrap();
    let err = anonymous.create_district("Refused").await.unwrap_err();
    assert!(matches!(err, Error::Unauthenticated { .. }), "{err:?}");
    let wrong = connect(Some("nope")).await.unwrap();
    let err = wrong.create_district("Refused").await.unwrap_err();
    assert!(matches!(err, Error::Unauthenticated { .. }), "{err:?}");
    let read_only = connect(Some(&reader)).await.unwrap();
    let err = read_only.create_district("Refused").await.unwrap_err();
    assert!(matches!(err, Error::PermissionDenied { .. }), "{err:?}");
}

/// A self-signed certificate for 127.0.0.1, made with the openssl command line tool.
fn self_signed(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl made a certificate");
    (cert, key)
}

#[tokio::test(flavor = "multi_thread")]
async fn https_endpoints_are_reached_over_tls_trusting_the_given_ca() {
    let db = roster_e2e::TestDb::new().await;
    let dir = std::env::temp_dir().join(format!("roster_tls_{:x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = self_signed(&dir);
    let mut config = roster_server::config::ServeConfig::for_database(&db.url);
    config.tls_cert = Some(cert.clone());
    config.tls_key = Some(key);
    config.import_dir = dir.join("import");
    config.data_dir = dir.join("data");
    let running = roster_server::server::start(config)
        .await
        .expect("a TLS server starts");
    let endpoint = format!("https://127.0.0.1:{}", running.addr.port());

    let trusted = RosterClient::builder()
        .endpoint(endpoint.as_str())
        .tls_ca_certificate(std::fs::read(&cert).unwrap())
        .connect()
        .await
        .expect("TLS handshake with the given CA");
    let district = trusted.create_district("Over TLS").await.unwrap();
    assert_eq!(district.display_name, "Over TLS");

    // The system roots do not know a self-signed certificate.
    let untrusted = RosterClient::builder()
        .endpoint(endpoint.as_str())
        .connect()
        .await;
    assert!(
        matches!(untrusted, Err(Error::Transport(_))),
        "{untrusted:?}"
    );
    running.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
