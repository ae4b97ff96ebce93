# wharf in a container: a multi-stage build to a slim runtime image.
#   docker build -t wharf .
#   docker run --rm --security-opt seccomp=unconfined wharf --help
# glommio drives its I/O through io_uring, which Docker's default seccomp profile blocks; run
# the container with seccomp=unconfined (docker-compose.yml does) or a profile that allows
# io_uring_setup/io_uring_enter/io_uring_register.

FROM rust:1-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends cmake libcurl4-openssl-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p engine --bin wharf \
    && cp target/release/wharf /usr/local/bin/wharf

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 libcurl4 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/wharf --create-home wharf
COPY --from=build /usr/local/bin/wharf /usr/local/bin/wharf
USER wharf
WORKDIR /var/lib/wharf
ENTRYPOINT ["wharf"]
CMD ["--help"]
