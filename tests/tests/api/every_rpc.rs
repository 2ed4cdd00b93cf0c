//! S1.2 for every RPC there is: walks every method of every `roster.v1` service in the
//! served descriptor set, fills every id field of its request (nested ones too) with an
//! id of another district's records, and calls it with an operator key of one district.
//! Each answers PERMISSION_DENIED, so an RPC added later cannot forget the check. A method
//! whose request names no district at all (ListDistricts) answers only with what the key
//! covers.

use bytes::{Buf, BufMut};
use prost::Message;
use prost_types::{DescriptorProto, FileDescriptorSet, field_descriptor_proto::Type};
use roster_client::pb;
use roster_client::tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use roster_client::tonic::{Code, Request, Status};
use roster_e2e::roster::springfield;
use roster_e2e::{TestServer, id_of};
use roster_server::domain::ApiKeyRole;
use std::collections::HashMap;

/// Request and response bytes as they are: the test builds requests from descriptors.
#[derive(Debug, Clone, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;
    fn encoder(&mut self) -> Raw {
        Raw
    }
    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

fn varint(mut n: u64, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn length_delimited(field: i32, bytes: &[u8], out: &mut Vec<u8>) {
    varint(((field as u64) << 3) | 2, out);
    varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

/// A message of `type_name` with every id field set from `ids`; whether it set any.
fn fill(
    type_name: &str,
    messages: &HashMap<String, DescriptorProto>,
    ids: &HashMap<&str, String>,
    out: &mut Vec<u8>,
) -> bool {
    let Some(message) = messages.get(type_name) else {
        return false;
    };
    let mut any = false;
    for field in &message.field {
        let name = field.name();
        match field.r#type() {
            Type::String => {
                let key = if name == "district_ids" {
                    "district_id"
                } else {
                    name
                };
                if let Some(id) = ids.get(key) {
                    length_delimited(field.number(), id.as_bytes(), out);
                    any = true;
                }
            }
            Type::Message if field.type_name().starts_with(".roster.v1.") => {
                let mut nested = Vec::new();
                if fill(field.type_name(), messages, ids, &mut nested) {
                    length_delimited(field.number(), &nested, out);
                    any = true;
                }
            }
            _ => {}
        }
    }
    any
}

#[tokio::test(flavor = "multi_thread")]
async fn s1_2_every_rpc_refuses_another_districts_records() {
    let server = TestServer::start().await;
    let a = server.district("A").await;
    let b = server.district("B").await;
    // District B gets one of everything: a run, an upload, schools, classes, people, and
    // a suppression (an erased student).
    let run = server.sync_ok(&b, &springfield()).await;
    let store = server.store();
    let upload = server
        .sync()
        .upload_roster_archive(futures::stream::iter([pb::UploadRosterArchiveRequest {
            district_id: b.clone(),
            chunk: vec![1, 2, 3],
        }]))
        .await
        .unwrap()
        .into_inner()
        .upload_id;
    let erased = id_of(&store, "students", "stu-martin").await;
    let suppression = server
        .dir()
        .erase_person(pb::ErasePersonRequest { person_id: erased })
        .await
        .unwrap()
        .into_inner()
        .suppression
        .unwrap()
        .suppression_id;
    let student = id_of(&store, "students", "stu-bart").await;
    let guardian = id_of(&store, "guardians", "par-marge").await;
    let ids: HashMap<&str, String> = [
        ("district_id", b.clone()),
        ("run_id", run.run_id.clone()),
        ("upload_id", upload),
        ("school_id", id_of(&store, "schools", "sch-1").await),
        ("class_id", id_of(&store, "classes", "cls-4a").await),
        ("student_id", student.clone()),
        ("person_id", student.clone()),
        ("record_id", student),
        ("guardian_id", guardian.clone()),
        ("user_id", guardian),
        ("staff_id", id_of(&store, "staff", "tch-edna").await),
        ("suppression_id", suppression),
        ("key_id", "1".into()),
        ("confirm_display_name", "B".into()),
    ]
    .into_iter()
    .collect();
    let operator = server.key(ApiKeyRole::Operator, &[&a]).await;

    let set = FileDescriptorSet::decode(roster_proto::FILE_DESCRIPTOR_SET).unwrap();
    let mut messages = HashMap::new();
    for file in &set.file {
        for message in &file.message_type {
            messages.insert(
                format!(".{}.{}", file.package(), message.name()),
                message.clone(),
            );
        }
    }
    let mut checked = 0;
    for file in set.file.iter().filter(|f| f.package() == "roster.v1") {
        for service in &file.service {
            for method in &service.method {
                let path = format!("/roster.v1.{}/{}", service.name(), method.name());
                let mut body = Vec::new();
                let names_a_record = fill(method.input_type(), &messages, &ids, &mut body);
                let answer = call(
                    &server,
                    &path,
                    body,
                    &operator,
                    method.client_streaming(),
                    method.server_streaming(),
                )
                .await;
                match answer {
                    Err(status) => assert_eq!(
                        status.code(),
                        Code::PermissionDenied,
                        "{path} answered {status:?}"
                    ),
                    Ok(bytes) => {
                        assert!(
                            !names_a_record,
                            "{path} let another district's record through"
                        );
                        let text = String::from_utf8_lossy(&bytes);
                        assert!(!text.contains(&b), "{path} showed district B");
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "walked {checked} RPCs");
}

/// Calls `path` with the raw request `body` and `key`, however the method streams.
async fn call(
    server: &TestServer,
    path: &str,
    body: Vec<u8>,
    key: &str,
    client_streaming: bool,
    server_streaming: bool,
) -> Result<Vec<u8>, Status> {
    let mut grpc = roster_client::tonic::client::Grpc::new(server.client.channel());
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let path = path.parse().unwrap();
    let auth = format!("Bearer {key}").parse().unwrap();
    if client_streaming {
        let mut request = Request::new(futures::stream::iter([body]));
        request.metadata_mut().insert("authorization", auth);
        return grpc
            .client_streaming(request, path, Raw)
            .await
            .map(|r| r.into_inner());
    }
    let mut request = Request::new(body);
    request.metadata_mut().insert("authorization", auth);
    if server_streaming {
        let mut stream = grpc
            .server_streaming(request, path, Raw)
            .await?
            .into_inner();
        return Ok(stream.message().await?.unwrap_or_default());
    }
    grpc.unary(request, path, Raw).await.map(|r| r.into_inner())
}
