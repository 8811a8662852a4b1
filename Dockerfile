# The agent's image: one container per client server.
#
# No registry with a Swift toolchain image is reachable from our build hosts, so the binary is
# built on the host with the static Swift standard library and copied in. `scripts/build-image`
# does all of it (base image, build, strip, podman build); by hand:
#   scripts/build-agent-static    # swift build -c release --static-swift-stdlib --scratch-path .build-static, ordered lld link
#   podman build --format docker --build-arg BUILD_DIR=.build-static/release -t mai-agent:$(.build-static/release/mai-agent version) .
# (--format docker keeps the HEALTHCHECK, which the OCI format drops; maictl deploy runs it.)
FROM debian:bookworm-slim

ARG BUILD_DIR=.build-static/release

RUN apt-get update \
 && apt-get install -y --no-install-recommends libsqlite3-0 ca-certificates poppler-utils libxml2 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 mai \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin mai \
 && mkdir -p /data && chown mai:mai /data && chmod 0700 /data

COPY ${BUILD_DIR}/mai-agent /usr/local/bin/mai-agent
# The web UI's files (Bundle.module looks beside the executable).
COPY ${BUILD_DIR}/mai-fleet_MaiAgent.resources /usr/local/bin/mai-fleet_MaiAgent.resources

# The admin API stays on the loopback unless told otherwise: maictl runs the container on the host
# network with HOST/PORT/ADMIN_BIND on 127.0.0.1 behind Caddy (DESIGN.md, "Deploy").
ENV HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data \
    ENV=prod \
    ADMIN_BIND=127.0.0.1:8081

USER mai
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/mai-agent", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/mai-agent"]
CMD ["serve"]
