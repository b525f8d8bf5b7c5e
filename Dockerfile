# Builds the branchline binary and runs it on a slim Debian image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cargo build --release --bin branchline

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/branchline branchline
COPY --from=build /src/target/release/branchline /usr/local/bin/branchline
USER branchline
WORKDIR /var/lib/branchline
ENV BRANCHLINE_BIND=0.0.0.0:8080 BRANCHLINE_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["branchline"]
CMD ["serve"]
