// Package packagingtest checks everything that ships the binary rather than
// being the binary: the Dockerfile and .dockerignore, docker-compose.yml, the
// Grafana provisioning, the Kubernetes manifests and the systemd unit.
//
// Each artefact is read with the parser its consumer uses (BuildKit's
// Dockerfile parser, compose-go's loader, the Kubernetes API types decoded
// strictly, go-systemd's unit parser) and checked against the binary's own
// facts: the environment variables its config package reads, its built-in
// defaults (from `mtproxy --help`), its health endpoints and subcommands.
// The Dockerfile's build step is replayed outside Docker on a copy of the
// build context that .dockerignore lets through, and the resulting binary is
// started with the image's environment and probed with the image's
// HEALTHCHECK command.
//
// The package has no code of its own: it is only tests. Run them with
// `cd deploy && go test ./internal/packagingtest/`; -short skips the ones
// that build and start the binary.
package packagingtest
