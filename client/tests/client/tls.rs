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

/// Runs openssl with `args`, quietly; panics if it fails.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let status = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl {args:?}");
}

/// A client CA and a client certificate signed by it.
fn client_ca_and_identity(dir: &std::path::Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=clients",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=keyCertSign",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=backend",
            "-keyout",
            "client.key",
            "-out",
            "client.csr",
        ],
    );
    std::fs::write(
        dir.join("client.ext"),
        "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "client.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "client.ext",
            "-out",
            "client.pem",
        ],
    );
}

// S1.6: with a client CA configured, only clients showing a certificate it signed connect.
#[tokio::test(flavor = "multi_thread")]
async fn s1_6_mutual_tls_lets_in_only_clients_with_a_certificate_of_the_ca() {
    let db = roster_e2e::TestDb::new().await;
    let dir = std::env::temp_dir().join(format!("roster_mtls_{:x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = self_signed(&dir);
    client_ca_and_identity(&dir);
    let mut config = roster_server::config::ServeConfig::for_database(&db.url);
    config.tls_cert = Some(cert.clone());
    config.tls_key = Some(key);
    config.tls_client_ca = Some(dir.join("ca.pem"));
    config.import_dir = dir.join("import");
    config.data_dir = dir.join("data");
    let running = roster_server::server::start(config).await.unwrap();
    let endpoint = format!("https://127.0.0.1:{}", running.addr.port());
    let builder = || {
        RosterClient::builder()
            .endpoint(endpoint.as_str())
            .tls_ca_certificate(std::fs::read(&cert).unwrap())
    };
    let with_identity = builder()
        .tls_client_identity(
            std::fs::read(dir.join("client.pem")).unwrap(),
            std::fs::read(dir.join("client.key")).unwrap(),
        )
        .connect()
        .await
        .expect("a client with a certificate of the CA connects");
    with_identity.create_district("Over mTLS").await.unwrap();
    assert!(
        !format!("{:?}", builder().tls_client_identity("c", "PRIVATE")).contains("PRIVATE"),
        "the key is never printed"
    );

    // Without a certificate the handshake (or the first call) is refused. The server
    // closes the connection; a call already sent on it sees it cancelled under it.
    let refused = match builder().connect().await {
        Err(e) => e,
        Ok(client) => client.create_district("Refused").await.unwrap_err(),
    };
    assert!(
        matches!(
            refused,
            Error::Transport(_) | Error::Unavailable { .. } | Error::Cancelled { .. }
        ),
        "{refused:?}"
    );
    running.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
