# The agent's image: one container per client server.
#
# No registry with a Swift toolchain image is reachable from our build hosts, so the binary is
# built on the host with the static Swift standard library and copied in:
#   swift build -c release --static-swift-stdlib --scratch-path .build-static --product mai-agent
#   podman build -t mai-agent:$(.build-static/release/mai-agent version) .
FROM debian:bookworm-slim

ARG BUILD_DIR=.build-static/release

RUN apt-get update \
 && apt-get install -y --no-install-recommends libsqlite3-0 ca-certificates poppler-utils libxml2 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin mai \
 && mkdir -p /data && chown mai:mai /data && chmod 0700 /data

COPY ${BUILD_DIR}/mai-agent /usr/local/bin/mai-agent
# The web UI's files (Bundle.module looks beside the executable).
COPY ${BUILD_DIR}/mai-fleet_MaiAgent.resources /usr/local/bin/mai-fleet_MaiAgent.resources

ENV HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data \
    ENV=prod \
    ADMIN_BIND=0.0.0.0:8081

USER mai
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/mai-agent", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/mai-agent"]
CMD ["serve"]
