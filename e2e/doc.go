// Package e2e runs the real mtproxy binary, built once per test run, on
// loopback: configured through its environment like the seed image, fed by
// the test kit's clients and real Telethon, with fake DCs, a fake middle
// proxy and a local TLS site behind it. These tests prove what a user of
// the Docker image would see.
package e2e
