//! Creates a district and lists every district, against a running server.
//!
//! ```sh
//! cargo run --release -p roster-server &               # serves 127.0.0.1:50051
//! cargo run -p roster-client --example quickstart      # or ROSTER_SERVER=http://host:port
//! ```

use futures::TryStreamExt;
use roster_client::{District, RosterClient};

#[tokio::main]
async fn main() -> Result<(), roster_client::Error> {
    let endpoint =
        std::env::var("ROSTER_SERVER").unwrap_or_else(|_| "http://127.0.0.1:50051".to_owned());
    let client = RosterClient::builder()
        .endpoint(endpoint)
        .bearer_token(std::env::var("ROSTER_TOKEN").unwrap_or_default())
        .connect()
        .await?;

    let district = client.create_district("Springfield Public Schools").await?;
    println!(
        "created district {} ({})",
        district.id, district.display_name
    );

    let districts: Vec<District> = client.list_districts().try_collect().await?;
    println!("{} districts:", districts.len());
    for d in &districts {
        println!("  {:>6}  {}", d.id, d.display_name);
    }
    Ok(())
}
