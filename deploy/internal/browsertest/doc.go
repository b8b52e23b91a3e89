// Package browsertest drives the users admin page (package users/admin) in
// a real headless Chromium, as an operator would: log in with the token
// once, create a user, disable it, rotate its secret, and scan its QR code.
//
// Where it sits: beside the binary, not in it. The admin handler is built
// in-process from the root module (a users.Registry and users.Manager over
// a users file in a temporary directory) and mounted on a status.Server
// behind a loopback allow list, as cmd/mtproxy mounts it on INTERNAL_PORT.
// The browser reaches it at http://localhost, which Chromium treats as a
// secure context, so the page's Secure session cookie is kept. Every step
// is checked in the page (its messages, each row's state), in the registry
// (the users in force) and in the users file; the QR code on the page is
// rendered to PNG by a screenshot of its element and decoded with zbarimg,
// and must say the link of the user's current secret.
//
// Screenshots of each step are kept as test artefacts: in the directory
// named by the MTPROXY_ARTIFACTS environment variable when it is set, else
// in the test's temporary directory; the test logs their paths.
//
// The package has no code of its own: it is only tests. They need Debian's
// chromium (skipped with a message without it) and zbarimg (zbar-tools);
// .ci/test.sh installs both. Run them with
// `cd deploy && go test ./internal/browsertest/`.
package browsertest
