//! Uploads that do not complete leave nothing behind; each district has a quota; upload
//! streams have their own time limit (S5.3).

use super::runs::upload;
use roster_client::pb;
use roster_client::tonic::Code;
use roster_e2e::TestServer;
use std::path::PathBuf;
use std::time::Duration;
use tokio_stream::wrappers::ReceiverStream;

/// The files in the server's upload folder.
fn stored(server: &TestServer) -> Vec<PathBuf> {
    match std::fs::read_dir(server.files.join("data").join("uploads")) {
        Ok(dir) => dir.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// Waits up to five seconds for `check` to hold.
async fn eventually(what: &str, check: impl Fn() -> bool) {
    for _ in 0..100 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never: {what}");
}

/// Starts an upload whose stream stays open after `chunks`: the sender keeps it so.
fn open_upload(
    server: &TestServer,
    district: &str,
    chunks: usize,
) -> (
    tokio::sync::mpsc::Sender<pb::UploadRosterArchiveRequest>,
    tokio::task::JoinHandle<Result<(), Code>>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    for i in 0..chunks {
        tx.try_send(pb::UploadRosterArchiveRequest {
            district_id: if i == 0 {
                district.into()
            } else {
                String::new()
            },
            chunk: vec![7; 1000],
        })
        .unwrap();
    }
    let mut sync = server.sync();
    let call = tokio::spawn(async move {
        sync.upload_roster_archive(ReceiverStream::new(rx))
            .await
            .map(|_| ())
            .map_err(|s| s.code())
    });
    (tx, call)
}

#[tokio::test(flavor = "multi_thread")]
async fn s5_3_an_upload_cut_off_by_its_client_leaves_nothing() {
    let server = TestServer::start().await;
    let district = server.district("D").await;
    let (tx, call) = open_upload(&server, &district, 3);
    eventually("the upload is being written", || {
        !stored(&server).is_empty()
    })
    .await;
    call.abort();
    drop(tx);
    eventually("nothing is left", || stored(&server).is_empty()).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s5_3_an_upload_past_its_own_time_limit_fails_and_leaves_nothing() {
    let server = TestServer::start_with(|c| {
        c.upload_timeout = Duration::from_secs(1);
        c.request_timeout = Duration::from_secs(30);
    })
    .await;
    let district = server.district("D").await;
    let (tx, call) = open_upload(&server, &district, 2);
    let code = call.await.unwrap().unwrap_err();
    assert_eq!(code, Code::DeadlineExceeded);
    eventually("nothing is left", || stored(&server).is_empty()).await;
    drop(tx);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s5_3_uploads_are_a_long_call_unary_limits_do_not_cut() {
    // A unary limit shorter than the upload: the upload still completes.
    let server = TestServer::start_with(|c| c.request_timeout = Duration::from_millis(300)).await;
    let district = server.district("D").await;
    let (tx, call) = open_upload(&server, &district, 1);
    tokio::time::sleep(Duration::from_millis(600)).await;
    drop(tx);
    assert_eq!(call.await.unwrap(), Ok(()));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s5_3_a_district_cannot_upload_past_its_quota() {
    let server = TestServer::start_with(|c| c.upload_quota_bytes = 2500).await;
    let district = server.district("D").await;
    let other = server.district("Other").await;
    upload(&server, &district, &[1; 2000]).await.unwrap();
    let refused = upload(&server, &district, &[1; 1000]).await.unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(refused.message().contains("quota"), "{}", refused.message());
    eventually("only the first upload is kept", || {
        stored(&server).len() == 1
    })
    .await;
    // The quota is the district's own.
    upload(&server, &other, &[1; 2000]).await.unwrap();
    server.stop().await;
}
