# roster-server: a multi-stage build of the same release binary as
# `cargo build --release -p roster-server`, run as a non-root user.
#
#   docker build -t roster-server .
#   docker run -p 50051:50051 -p 9464:9464 -v roster-data:/data \
#     -e ROSTER_DATABASE_URL=mysql://roster:secret@db:3306/roster roster-server
#
# Off loopback the server needs an API key before it starts serving: make the first one
# with `docker run --rm -e ROSTER_DATABASE_URL=... roster-server keys create --role admin
# --name ops` (README, "Access").

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p roster-server --locked

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --create-home roster
COPY --from=build /src/target/release/roster-server /usr/local/bin/roster-server
USER roster
WORKDIR /data
ENV ROSTER_LISTEN=0.0.0.0:50051 \
    ROSTER_METRICS_LISTEN=0.0.0.0:9464 \
    ROSTER_DATA_DIR=/data/data \
    ROSTER_IMPORT_DIR=/data/import \
    ROSTER_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 50051 9464
ENTRYPOINT ["roster-server"]
CMD ["serve"]
