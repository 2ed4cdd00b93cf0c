//! Latency of `SearchPeople` in a large district, through the gRPC API, in a release build.
//!
//! It starts the server in-process on a fresh database, writes a district of N students
//! (default 100000) straight into the store in batches (1.6 guardians per student,
//! siblings sharing theirs, a staff member per 15 students; names drawn from 80 given and
//! 900 family names), then calls
//! `SearchPeople` with queries of each kind and prints p50 and p99 per kind:
//!
//! - email: a guardian's email in another case;
//! - phone: a guardian's SMS number written `(603) 555-0101`;
//! - SIS ID: a student's;
//! - 3 letters: the first three letters of a family name, lowercase (thousands match);
//! - name prefix: a longer prefix of a family name (a few hundred match);
//! - full name: "Given Fam";
//! - one letter: the worst case of a prefix (a first page of 50 among tens of thousands).
//!
//! ```text
//! cargo run --release -p roster-server --example search_bench -- [--students N]
//! ROSTER_BENCH_MYSQL_URL=mysql://root@127.0.0.1:3306 cargo run --release -p roster-server --example search_bench
//! ```
//!
//! SQLite always (a temp file, removed at the end); MySQL/MariaDB too when
//! `ROSTER_BENCH_MYSQL_URL` names a server (a database is created there and dropped).

use diesel_async::{AsyncConnection, AsyncMysqlConnection, SimpleAsyncConnection};
use roster_proto::tonic::transport::Channel;
use roster_proto::v1 as pb;
use roster_proto::v1::directory_service_client::DirectoryServiceClient;
use roster_server::config::ServeConfig;
use roster_server::domain::{Origin, StaffRole, new_id, now, parse_id};
use roster_server::store::Rows;
use roster_server::store::Store;
use roster_server::store::models::{
    FamilyLink, Guardian, SchoolStaff, SchoolStudent, Staff, Student,
};
use roster_server::store::queries::roster;
use std::error::Error;
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn Error>>;

const USAGE: &str = "usage: search_bench [--students N]";
const SAMPLES: usize = 200;
const GIVEN: [&str; 80] = [
    "Ava", "Liam", "Mia", "Noah", "Zoe", "Eli", "Ivy", "Leo", "Ruby", "Owen", "Nora", "Finn",
    "Anna", "Mark", "Julia", "Peter", "Sara", "David", "Laura", "James", "Maria", "Paul", "Helen",
    "Carlos", "Emma", "Lucas", "Chloe", "Ethan", "Grace", "Mason", "Lily", "Logan", "Ella", "Jack",
    "Aria", "Henry", "Luna", "Wyatt", "Nina", "Caleb", "Hazel", "Isaac", "Stella", "Jonah",
    "Violet", "Adam", "Clara", "Felix", "Iris", "Hugo", "Alice", "Oscar", "Eva", "Theo", "Rosa",
    "Milo", "Vera", "Axel", "Lena", "Omar", "Sofia", "Ravi", "Amara", "Kenji", "Yara", "Diego",
    "Leila", "Tariq", "Mei", "Sven", "Ingrid", "Pablo", "Anya", "Kofi", "Zara", "Ivan", "Elif",
    "Marco", "Hana", "Raul",
];
const FAMILY_HEADS: [&str; 30] = [
    "Ander", "Bald", "Carr", "Dell", "Eber", "Fair", "Gold", "Hart", "Ing", "Jar", "Kell", "Lind",
    "Mor", "Nash", "Oak", "Pem", "Quin", "Ross", "Sand", "Thorn", "Upt", "Vance", "Wald", "Yor",
    "Zell", "Brom", "Crane", "Drew", "Frost", "Glen",
];
const FAMILY_TAILS: [&str; 30] = [
    "son", "man", "ley", "ford", "wood", "berg", "ton", "field", "ridge", "well", "worth", "by",
    "stein", "more", "dale", "hurst", "ville", "croft", "shaw", "brook", "court", "lund", "ström",
    "ez", "ini", "escu", "ova", "sky", "ard", "ing",
];
const AREAS: [&str; 10] = [
    "603", "617", "212", "415", "312", "206", "303", "512", "404", "305",
];

fn family(i: usize) -> String {
    let i = i % (FAMILY_HEADS.len() * FAMILY_TAILS.len());
    format!(
        "{}{}",
        FAMILY_HEADS[i % FAMILY_HEADS.len()],
        FAMILY_TAILS[i / FAMILY_HEADS.len()]
    )
}

/// A unique, valid US number for guardian `i`, as written and in E.164.
fn phone(i: usize) -> (String, String) {
    let area = AREAS[i % AREAS.len()];
    let rest = i / AREAS.len();
    // Exchanges 220-899, never N11 nor 555.
    let mut exchange = 220 + (rest / 10_000) % 600;
    if exchange % 100 == 11 || exchange == 555 {
        exchange += 1;
    }
    let line = rest % 10_000;
    (
        format!("({area}) {exchange:03}-{line:04}"),
        format!("+1{area}{exchange:03}{line:04}"),
    )
}

/// What the queries are drawn from.
struct District {
    id: String,
    guardian_emails: Vec<String>,
    guardian_phones: Vec<String>,
    student_sis_ids: Vec<String>,
    full_names: Vec<String>,
    rows: usize,
}

async fn generate(
    store: &Store,
    district_id: i64,
    schools: &[i64],
    students: usize,
) -> Res<District> {
    let now = now();
    let mut conn = store.conn().await?;
    let mut student_rows = Vec::with_capacity(students);
    let mut guardian_rows = Vec::new();
    let mut memberships = Vec::with_capacity(students);
    let mut links = Vec::new();
    let mut out = District {
        id: district_id.to_string(),
        guardian_emails: Vec::new(),
        guardian_phones: Vec::new(),
        student_sis_ids: Vec::new(),
        full_names: Vec::new(),
        rows: 0,
    };
    let mut family_guardians: Vec<i64> = Vec::new();
    for s in 0..students {
        // Every tenth student is the previous one's sibling: same family, same guardians.
        let sibling = s % 10 == 9;
        let fam = family(if sibling { s - 1 } else { s } * 7 + 3);
        let given = GIVEN[(s * 13) % GIVEN.len()];
        let id = new_id();
        let sis_id = format!("S{:07}", s + 1);
        student_rows.push(Student {
            id,
            district_id,
            source_id: Some(format!("stu-{s}").into()),
            sis_id: sis_id.clone().into(),
            given_name: given.into(),
            family_name: fam.clone().into(),
            email: format!(
                "{}.{}{s}@kids.example.org",
                given.to_lowercase(),
                fam.to_lowercase()
            )
            .into(),
            grade: format!("{:02}", 1 + s % 12).into(),
            attributes: "{}".into(),
            origin: Origin::Sis,
            archived_at: None,
            created_at: now,
            updated_at: now,
        });
        memberships.push(SchoolStudent {
            school_id: schools[s % schools.len()],
            student_id: id,
            district_id,
            origin: Origin::Sis,
            created_at: now,
        });
        if s % 500 == 0 {
            out.student_sis_ids.push(sis_id);
            out.full_names.push(format!("{given} {}", &fam[..3]));
        }
        if !sibling {
            family_guardians.clear();
            // 1.6 guardians per student, siblings sharing: 2 guardians for most families.
            let count = if s % 10 < 5 { 2 } else { 1 } + usize::from(s % 10 == 8);
            for _ in 0..count {
                let g = guardian_rows.len();
                let gid = new_id();
                let given = GIVEN[(g * 7 + 5) % GIVEN.len()];
                let email = format!("{given}.{fam}{g}@Example.org");
                let (written, e164) = phone(g);
                if g % 500 == 0 {
                    out.guardian_emails.push(email.to_uppercase());
                    out.guardian_phones.push(written);
                }
                guardian_rows.push(Guardian {
                    id: gid,
                    district_id,
                    source_id: Some(format!("g-{g}").into()),
                    sis_id: Default::default(),
                    given_name: given.into(),
                    family_name: fam.clone().into(),
                    email: email.into(),
                    sms_number: e164.into(),
                    home_phone: Default::default(),
                    language: "en".into(),
                    origin: Origin::Sis,
                    activated_at: None,
                    created_at: now,
                    updated_at: now,
                });
                family_guardians.push(gid);
            }
        }
        for &gid in &family_guardians {
            links.push(FamilyLink {
                student_id: id,
                guardian_id: gid,
                district_id,
                origin: Origin::Sis,
                created_at: now,
            });
        }
    }
    let mut staff_rows = Vec::new();
    let mut staff_memberships = Vec::new();
    for t in 0..students.div_ceil(15) {
        let id = new_id();
        let given = GIVEN[(t * 11 + 1) % GIVEN.len()];
        let fam = family(t * 13 + 1);
        staff_rows.push(Staff {
            id,
            district_id,
            source_id: Some(format!("t-{t}").into()),
            sis_id: format!("T{t:05}").into(),
            given_name: given.into(),
            family_name: fam.clone().into(),
            email: format!("{given}.{fam}{t}@school.example.org").into(),
            sms_number: Default::default(),
            home_phone: Default::default(),
            language: Default::default(),
            role: StaffRole::Teacher,
            origin: Origin::Sis,
            activated_at: None,
            created_at: now,
            updated_at: now,
        });
        staff_memberships.push(SchoolStaff {
            school_id: schools[t % schools.len()],
            staff_id: id,
            district_id,
            origin: Origin::Sis,
            created_at: now,
        });
    }
    out.rows = student_rows.len()
        + guardian_rows.len()
        + staff_rows.len()
        + memberships.len()
        + staff_memberships.len()
        + links.len();
    let none = Default::default();
    roster::write_students(
        &mut conn,
        &Rows {
            new: student_rows,
            changed: Vec::new(),
        },
    )
    .await?;
    roster::write_guardians(
        &mut conn,
        &Rows {
            new: guardian_rows,
            changed: Vec::new(),
        },
        &none,
    )
    .await?;
    roster::write_staff(
        &mut conn,
        &Rows {
            new: staff_rows,
            changed: Vec::new(),
        },
        &none,
    )
    .await?;
    roster::add_school_students(&mut conn, &memberships).await?;
    roster::add_school_staff(&mut conn, &staff_memberships).await?;
    roster::add_links(&mut conn, &links).await?;
    Ok(out)
}

/// p50 and p99 of `samples`, in milliseconds.
fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i].as_secs_f64() * 1000.0
    };
    (at(0.50), at(0.99))
}

async fn measure(
    client: &mut DirectoryServiceClient<Channel>,
    district: &str,
    what: &str,
    queries: &[String],
) -> Res<()> {
    let mut samples = Vec::with_capacity(SAMPLES);
    let mut found = 0usize;
    for i in 0..SAMPLES {
        let query = &queries[i % queries.len()];
        let started = Instant::now();
        let response = client
            .search_people(pb::SearchPeopleRequest {
                district_id: district.into(),
                query: query.clone(),
                ..Default::default()
            })
            .await?
            .into_inner();
        samples.push(started.elapsed());
        if response.people.is_empty() {
            return Err(format!("{what}: `{query}` found nobody").into());
        }
        found += response.people.len();
    }
    let (p50, p99) = percentiles(samples);
    println!(
        "  {what:<12} p50 {p50:>6.2} ms   p99 {p99:>6.2} ms   ({:.1} people per page on average)",
        found as f64 / SAMPLES as f64
    );
    Ok(())
}

async fn bench(url: &str, backend: &str, students: usize) -> Res<()> {
    let work = std::env::temp_dir().join(format!(
        "roster_search_bench_{:016x}",
        rand::random::<u64>()
    ));
    std::fs::create_dir_all(work.join("import"))?;
    let mut config = ServeConfig::for_database(url);
    config.import_dir = work.join("import");
    config.data_dir = work.join("data");
    let running = roster_server::server::start(config).await?;
    let channel = Channel::from_shared(format!("http://{}", running.addr))?
        .connect()
        .await?;
    let mut client = DirectoryServiceClient::new(channel);
    let district = client
        .create_district(pb::CreateDistrictRequest {
            display_name: "Search Bench".into(),
        })
        .await?
        .into_inner()
        .district
        .ok_or("no district")?
        .id;
    let mut schools = Vec::new();
    for i in 0..students.div_ceil(500) {
        let school = client
            .create_school(pb::CreateSchoolRequest {
                district_id: district.clone(),
                name: format!("School {i}"),
                sis_id: String::new(),
            })
            .await?
            .into_inner()
            .school
            .ok_or("no school")?
            .id;
        schools.push(parse_id("school_id", &school)?);
    }
    let store = Store::connect(url, 4, Duration::from_secs(30))?;
    let writing = Instant::now();
    let d = generate(
        &store,
        parse_id("district_id", &district)?,
        &schools,
        students,
    )
    .await?;
    println!(
        "{backend}: {students} students, {} rows written in {:.1}s",
        d.rows,
        writing.elapsed().as_secs_f64()
    );
    // Three letters match ~30 family names (thousands of people); a head and two letters
    // of the tail match one or two (a few hundred people).
    let three: Vec<String> = (0..50)
        .map(|i| family(i * 37 + 3)[..3].to_lowercase())
        .collect();
    let longer: Vec<String> = (0..50)
        .map(|i| {
            let i = i * 37 + 3;
            let head = FAMILY_HEADS[i % FAMILY_HEADS.len()].len();
            family(i)[..head + 2].to_lowercase()
        })
        .collect();
    let letters: Vec<String> = ["a", "b", "m", "s"].iter().map(|s| s.to_string()).collect();
    // Warm up the connection pool and caches.
    measure(&mut client, &d.id, "warm-up", &three).await?;
    measure(&mut client, &d.id, "email", &d.guardian_emails).await?;
    measure(&mut client, &d.id, "phone", &d.guardian_phones).await?;
    measure(&mut client, &d.id, "SIS ID", &d.student_sis_ids).await?;
    measure(&mut client, &d.id, "3 letters", &three).await?;
    measure(&mut client, &d.id, "name prefix", &longer).await?;
    measure(&mut client, &d.id, "full name", &d.full_names).await?;
    measure(&mut client, &d.id, "one letter", &letters).await?;
    running.shutdown().await?;
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Res<()> {
    let mut students = 100_000usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--students" => {
                let value = args.next().ok_or("--students needs a value")?;
                students = value
                    .parse()
                    .map_err(|_| format!("--students: `{value}` is not a number"))?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`\n{USAGE}").into()),
        }
    }
    if students < 500 {
        return Err("--students must be at least 500".into());
    }

    let path = std::env::temp_dir().join(format!(
        "roster_search_bench_{:016x}.db",
        rand::random::<u64>()
    ));
    let result = bench(&format!("sqlite://{}", path.display()), "sqlite", students).await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    result?;

    if let Ok(server) = std::env::var("ROSTER_BENCH_MYSQL_URL") {
        let server = server.trim().trim_end_matches('/').to_owned();
        let name = format!("roster_search_bench_{:08x}", rand::random::<u32>());
        let mut admin = AsyncMysqlConnection::establish(&server).await?;
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            ))
            .await?;
        let result = bench(&format!("{server}/{name}"), "mysql", students).await;
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .await?;
        result?;
    }
    Ok(())
}
