//! Watching runs: every watcher of a run sees it to its end through one shared poll of
//! the store, and open watches are capped, a place freed as soon as a watcher goes.

use roster_client::pb;
use roster_client::tonic::Code;
use roster_e2e::TestServer;
use roster_e2e::mock_clever::{self, MockClever, TOKEN};
use roster_e2e::roster::springfield;
use std::time::Duration;

/// A district whose run stays in FETCHING: its provider answers 429 for a long while.
async fn slow_run(server: &TestServer) -> (pb::SyncRun, mock_clever::MockServer) {
    let mock = mock_clever::start(
        springfield(),
        MockClever {
            fail_first_with_429: 1000,
            ..MockClever::default()
        },
    )
    .await;
    let district = server.district("Slow").await;
    server.use_clever(&district, &mock.base_url, TOKEN).await;
    let run = server
        .sync()
        .start_sync(pb::StartSyncRequest {
            district_id: district,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .run
        .unwrap();
    (run, mock)
}

async fn watch(
    server: &TestServer,
    run_id: &str,
) -> Result<tonic::Streaming<pb::WatchSyncResponse>, tonic::Status> {
    server
        .sync()
        .watch_sync(pb::WatchSyncRequest {
            run_id: run_id.into(),
        })
        .await
        .map(|r| r.into_inner())
}

#[tokio::test(flavor = "multi_thread")]
async fn many_watchers_of_one_run_all_see_its_end() {
    let server = TestServer::start().await;
    let (run, _mock) = slow_run(&server).await;
    let mut streams = Vec::new();
    for _ in 0..200 {
        streams.push(watch(&server, &run.run_id).await.unwrap());
    }
    server
        .sync()
        .cancel_sync(pb::CancelSyncRequest {
            run_id: run.run_id.clone(),
        })
        .await
        .unwrap();
    for mut stream in streams {
        let mut last = None;
        while let Some(message) = stream.message().await.unwrap() {
            last = message.run;
        }
        assert_eq!(last.unwrap().state, pb::SyncState::Cancelled as i32);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn open_watches_are_capped_and_a_place_frees_when_a_watcher_goes() {
    let server = TestServer::start_with(|config| config.max_watch_streams = 3).await;
    let (run, _mock) = slow_run(&server).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut stream = watch(&server, &run.run_id).await.unwrap();
        stream.message().await.unwrap().expect("the first snapshot");
        open.push(stream);
    }
    let refused = watch(&server, &run.run_id).await.unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    drop(open.pop());
    let mut freed = None;
    for _ in 0..50 {
        if let Ok(stream) = watch(&server, &run.run_id).await {
            freed = Some(stream);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(freed.is_some(), "a watcher that went freed its place");
}
