# syntax=docker/dockerfile:1
#
# mtproxy: a drop-in successor of the mtproxy/mtproxy image.
#
#   docker build -t mtproxy/mtproxy --build-arg VERSION=$(git describe --tags --always) .
#   docker run -d -p443:443 --name=mtproxy --restart=always -v mtproxy:/data mtproxy/mtproxy
#
# The build context is the repository root; .dockerignore lets in only the
# module files and the packages the binary is built from.
#
# Port 443 as a non-root user: the final image runs as uid 65532 and has no
# file capabilities (there is no setcap in a distroless image, and a binary
# with file capabilities refuses to start where the capability is dropped).
# None is needed under Docker: since Docker 20.10 every container network
# namespace starts with net.ipv4.ip_unprivileged_port_start=0, so any user
# may bind 443 inside it. With --network host the host's sysctl applies
# (1024 by default): there, set PORT=8443 (and publish that), or lower the
# host's net.ipv4.ip_unprivileged_port_start. Kubernetes sets the same sysctl
# per pod (deploy/k8s/deployment.yaml); systemd grants CAP_NET_BIND_SERVICE
# as an ambient capability (deploy/systemd/mtproxy.service).

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
ARG TARGETOS
ARG TARGETARCH
# VERSION lands in main.version (cmd/mtproxy/version.go), printed by
# `mtproxy version` and the start-up log.
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
# -buildvcs=false: .git is not in the context, so there is no revision to stamp.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false -ldflags="-s -w -X main.version=${VERSION}" \
        -o /out/mtproxy ./cmd/mtproxy \
 && mkdir -p /out/data \
 && cp LICENSE /out/LICENSE

# static-debian13 carries CA certificates (Telegram's files and the
# external-IP services are fetched over HTTPS), tzdata and a passwd with the
# nonroot user (65532), and nothing else: no shell, no package manager.
FROM gcr.io/distroless/static-debian13:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="mtproxy" \
      org.opencontainers.image.description="MTProto proxy for Telegram, a drop-in successor of the mtproxy/mtproxy image" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/mtproxy/mtproxy"
COPY --from=build /out/mtproxy /mtproxy
# Apache 2.0 asks for the licence to travel with the binary.
COPY --from=build /out/LICENSE /LICENSE
# /data holds the generated secret and Telegram's cached files; it must be
# writable by the user below, also when Docker fills a new named volume
# from it.
COPY --from=build --chown=65532:65532 /out/data /data

# The seed image's defaults (the binary has the same ones built in; they are
# repeated here so `docker inspect` shows them).
ENV SECRET_FILE=/data/secret \
    SECRET_COUNT=1 \
    PROXY_SECRET_FILE=/data/proxy.secret \
    PROXY_CONFIG_FILE=/data/proxy.conf \
    PORT=443 \
    INTERNAL_PORT=2398 \
    WORKERS=1

USER 65532:65532
VOLUME ["/data"]
# 443: clients. 2398: /stats (loopback only), /metrics, /healthz, /readyz
# (loopback and private networks by default; anyone else gets a bare 404).
# Publish 2398 on the host's loopback or a private interface only:
#   docker run -p 443:443 -p 127.0.0.1:2398:2398 ...
EXPOSE 443 2398
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/mtproxy", "healthcheck"]
ENTRYPOINT ["/mtproxy"]
