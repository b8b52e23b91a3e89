// Package status is the proxy's HTTP surface on INTERNAL_PORT: the legacy
// /stats page, Prometheus /metrics, and the /healthz and /readyz probes,
// each behind a peer-address allow list.
//
// It sits beside the pipeline, not in it: the engine and its helpers report
// to a [metrics.Metrics], and a [Server] renders what that holds on request
// (the /stats page and readiness from one metrics.Snapshot, /metrics from
// its Prometheus registry). The numbers, their names and meaning live in
// package metrics; this package owns only the server, the routes and who may
// reach them.
//
// More routes (an admin API, a links page) are mounted with [Server.Handle],
// which takes the networks allowed to reach the route; a route mounted with
// an empty list is refused to everyone, so a forgotten list fails closed.
//
// Allow lists are matched against the TCP peer (http.Request.RemoteAddr),
// never a forwarding header: a reverse proxy in front would make every
// client look local. A refused peer gets a bare 404, the same answer as a
// path that does not exist, so a scanner of the port learns nothing (the
// /readyz reasons name Telegram). The server bounds its connections
// (MaxConns) and the time each may take (header, request, response, idle),
// so the port cannot hold the descriptors or goroutines the clients need.
package status
