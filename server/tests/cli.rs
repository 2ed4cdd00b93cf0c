//! The `roster-server` command line as an operator runs it: the first admin key, and
//! flags that only count where they are written.

use std::process::Command;

fn server() -> Command {
    Command::new(env!("CARGO_BIN_EXE_roster-server"))
}

fn temp_db() -> (std::path::PathBuf, String) {
    let path = std::env::temp_dir().join(format!("roster_cli_{}.db", std::process::id()));
    let url = format!("sqlite://{}", path.display());
    (path, url)
}

// S1.5, S2.1: the first admin key comes from the command line, printed alone on stdout,
// and its making is in the audit log like any other key's.
#[test]
fn s1_5_keys_create_prints_the_key_once_and_audits_it() {
    let (path, url) = temp_db();
    let out = server()
        .args(["keys", "create", "--role", "admin", "--name", "ops"])
        .args(["--database-url", &url])
        .env("USER", "alice")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8(out.stdout).unwrap();
    assert!(
        key.trim().starts_with("rsk_"),
        "stdout is the key alone: {key}"
    );
    assert_eq!(key.trim().lines().count(), 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("shown once") && !stderr.contains(key.trim()),
        "{stderr}"
    );
    let audit = std::process::Command::new("sqlite3")
        .arg(&path)
        .arg("SELECT method || '|' || actor FROM audit_events")
        .output();
    // sqlite3 is optional here; the store's own check below always runs.
    if let Ok(audit) = audit
        && audit.status.success()
    {
        let rows = String::from_utf8_lossy(&audit.stdout);
        assert!(
            rows.contains("roster-server keys create|command line (alice)"),
            "{rows}"
        );
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store =
            roster_server::store::Store::connect(&url, 1, std::time::Duration::from_secs(5))
                .unwrap();
        let caller = roster_server::domain::Caller::unrestricted(String::new());
        let page = roster_server::domain::PageRequest::parse(10, "", "audit").unwrap();
        let events = roster_server::access::audit::list(&store, &caller, Default::default(), page)
            .await
            .unwrap();
        assert_eq!(events.items.len(), 1);
        assert_eq!(events.items[0].method, "roster-server keys create");
        assert_eq!(events.items[0].actor, "command line (alice)");
    });
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

// A flag written before the subcommand is refused with a message, never silently replaced
// by the subcommand's default (a key made in the wrong database, a server on the wrong
// address).
#[test]
fn flags_before_a_subcommand_are_refused() {
    let out = server()
        .args(["--database-url", "sqlite://elsewhere.db", "keys", "create"])
        .args(["--role", "admin", "--name", "x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
    assert!(!std::path::Path::new("elsewhere.db").exists());
}
