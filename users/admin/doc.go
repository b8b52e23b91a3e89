// Package admin is the users' admin API and links page, served on
// INTERNAL_PORT when ADMIN_TOKEN is set.
//
// Where it sits: beside /stats and /metrics on the internal HTTP server; it
// reads the live users from a users.Registry and edits them through a
// users.Manager, which writes USERS_FILE back atomically and applies the
// change (a disabled, removed or rotated user's connections drain).
//
//   - /api/v1/... is the JSON API, described by /api/v1/openapi.json
//     (a test checks the routes and the document agree). Requests carry
//     the token as "Authorization: Bearer <token>", compared in constant
//     time.
//   - /admin/ is a small server-rendered page (html/template, no
//     JavaScript): the token is entered once in a form and kept as an
//     HttpOnly, Secure, SameSite=Strict cookie holding a MAC of the token,
//     not the token; every form carries a CSRF token.
//   - /admin/share/{name}/{sig} shows one user's links and QR codes only;
//     sig is a MAC over the user's name and secret, so rotating the secret
//     (or the admin token) revokes the share link.
//
// The handler does no network check of its own: the binary mounts it on
// the status.Server of INTERNAL_PORT with status.Server.Handle, behind
// ADMIN_ALLOW (an empty list lets nobody in). Every request is logged by
// route pattern, never with a token, a cookie, a share signature or a
// secret.
package admin
