// Package headless drives Debian's chromium in headless mode over the
// DevTools protocol, for tests that must run a real page: the WEB proxy's
// bridge page, with a stand-in for the object the Telegram app injects.
//
// [Start] launches chromium with a fresh profile, no sandbox (tests run as
// root), no GPU, QUIC, background networking, component updates or sync,
// and a DevTools port of its own; it skips the test when chromium is not
// installed. [Browser.Call] sends a command to the page target and waits
// for its answer; [Browser.Event] waits for the next event of a method.
// [Browser.NewTab] opens another tab of the same profile (shared cookies).
// The protocol is plain JSON over a WebSocket, so this is a few calls, not
// a client library. page.go has what a form-driven page test needs:
// Navigate and Submit (waiting for the load, returning the document's
// status), Click, Type, Text, Attr, WaitVisible, screenshots of the page
// or of one element, Cookies, and Events for console and network errors.
// The WEB proxy's bridge page test (proxy/webproxy) and the admin page
// test (users/admin) use it.
package headless
