package metrics

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/health/clockskew"
	"github.com/mtproxy/mtproxy/health/dcprobe"
	"github.com/mtproxy/mtproxy/health/netinfo"
	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/proxy/auto"
	"github.com/mtproxy/mtproxy/proxy/dc"
	"github.com/mtproxy/mtproxy/proxy/direct"
	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/middle"
	"github.com/mtproxy/mtproxy/proxy/replay"
)

// fixtureStart is the fixed start of the populated fixture.
func fixtureStart() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// populated returns Metrics in the given mode fed with a known set of
// events and sources, and a snapshot of it whose process-dependent fields
// (pid, Go version, generation time) are fixed, for golden pages.
func populated(t testing.TB, mode Mode) (*Metrics, *Snapshot) {
	t.Helper()
	clock := &testClock{t: fixtureStart().Add(time.Hour)}
	m := New(Options{
		Secrets: []string{"alice", "bob", ""}, Mode: mode, Version: "1.0.0", Revision: "0123abc",
		Workers: 2, StatsPort: 2398, Start: fixtureStart(), Now: clock.Now,
		ProcStatus: "testdata/proc_status.txt",
	})
	ctx := context.Background()
	for range 10 {
		m.ClientAccepted()
	}
	m.ClientRejected(proxy.RejectLimit)
	m.ClientClosed(proxy.CloseEvent{Secret: -1})
	m.ClientRejected(proxy.RejectShutdown)
	m.ClientClosed(proxy.CloseEvent{Secret: -1})
	ok := func(secret, d int) {
		m.Handshake(ctx, proxy.HandshakeEvent{Protocol: proxy.ProtoPadded, Result: proxy.HandshakeOK,
			Secret: secret, DC: d, Duration: 30 * time.Millisecond})
	}
	ok(0, 2)
	ok(1, -2)
	ok(0, 99)
	for range 2 {
		m.Handshake(ctx, proxy.HandshakeEvent{Protocol: proxy.ProtoFakeTLS, Result: proxy.HandshakeBadSecret, Secret: -1,
			JA4: fixtureJA4("t13d1516h2_8daaf6152771_e5627efa2ab1")})
	}
	m.Handshake(ctx, proxy.HandshakeEvent{Protocol: proxy.ProtoFakeTLS, Result: proxy.HandshakeBadTLS, Secret: -1})
	// The funnel: 3 padded clients got as far as a DC's answer, one of
	// them established; 2 FakeTLS hellos were read and refused.
	for _, st := range []proxy.Stage{proxy.StageFirstByte, proxy.StageHandshakeRead} {
		for range 2 {
			m.ClientStage(proxy.StageEvent{Stage: st, Protocol: proxy.ProtoFakeTLS, Secret: -1})
		}
	}
	for st := proxy.StageFirstByte; st <= proxy.StageUpstreamAnswered; st++ {
		for range 3 {
			m.ClientStage(proxy.StageEvent{Stage: st, Protocol: proxy.ProtoPadded, Secret: 0})
		}
	}
	m.ClientStage(proxy.StageEvent{Stage: proxy.StageEstablished, Protocol: proxy.ProtoPadded, Secret: 0})
	m.Handshake(ctx, proxy.HandshakeEvent{Protocol: proxy.ProtoUnknown, Result: proxy.HandshakeTimeout, Secret: -1})
	add := func(tr *proxy.Traffic, in, out uint64) { tr.FromClient.Add(in); tr.ToClient.Add(out) }
	add(m.Traffic(0, 2), 1000, 5000)
	add(m.Traffic(1, -2), 200, 300)
	add(m.Traffic(0, 99), 10, 20)
	add(m.Traffic(7, 3), 1, 2) // a secret index without a label
	m.ClientClosed(proxy.CloseEvent{Protocol: proxy.ProtoPadded, Secret: 0, DC: 99, Authenticated: true, Duration: 90 * time.Second,
		Stage: proxy.StageUpstreamAnswered})
	m.ClientClosed(proxy.CloseEvent{Protocol: proxy.ProtoFakeTLS, Secret: -1})
	m.Fronting(proxy.FrontingEvent{Reason: proxy.HandshakeBadSecret, Result: proxy.FrontingDone, BytesIn: 517, BytesOut: 4000})
	m.Fronting(proxy.FrontingEvent{Reason: proxy.HandshakeBadSecret, Result: proxy.FrontingDrained, BytesIn: 64})
	m.UpstreamDial(ctx, direct.DialEvent{DC: 2, Result: dc.OK, Duration: 15 * time.Millisecond})
	m.UpstreamDial(ctx, direct.DialEvent{DC: 2, Result: dc.Timeout, Duration: 10 * time.Second})
	m.UpstreamDial(ctx, direct.DialEvent{DC: -2, Result: dc.OK, Duration: 20 * time.Millisecond})
	for _, id := range []int{1, 2, 3, 4, 5} {
		m.Probed(id, dcprobe.Outcome{Result: dc.OK, Connect: time.Millisecond, RTT: 2 * time.Millisecond})
	}
	m.Probed(203, dcprobe.Outcome{Result: dc.Refused})
	m.Probed(4, dcprobe.Outcome{Result: dc.NotMTProto, Answer: dcprobe.AnswerHTTP})

	prober := &proberDouble{health: map[int]dcprobe.Health{
		1: {Up: true, ConnectTime: 12 * time.Millisecond, RTT: 30 * time.Millisecond, Addrs: 2, Answered: 2},
		2: {Up: true, ConnectTime: 25 * time.Millisecond, RTT: 52 * time.Millisecond, Addrs: 3, Answered: 3},
		3: {Up: true, ConnectTime: 150 * time.Millisecond, RTT: 301 * time.Millisecond, Addrs: 2, Answered: 1},
		4: {Up: false, Addrs: 2, Failures: 3,
			Reason: dcprobe.Outcome{Result: dc.NotMTProto, Answer: dcprobe.AnswerHTTP}},
		5:   {Up: true, ConnectTime: 180 * time.Millisecond, RTT: 360 * time.Millisecond, Addrs: 2, Answered: 2},
		203: {Up: false, Addrs: 2, Failures: 1, Reason: dcprobe.Outcome{Result: dc.Refused}},
	}}
	m.SetProber(prober)
	m.SetProxy(proxyDouble{max: 120000, bufs: proxy.BufferStats{Size: 16389, InUse: 4, Allocated: 10},
		replay: replay.Stats{Entries: 17, Capacity: 65536, Evicted: [replay.NumEvictReasons]uint64{40, 3}}})
	m.SetListening(func() bool { return true })
	m.SetNAT(netinfo.Result{
		Addrs: netinfo.Addrs{Internal: netip.MustParseAddr("10.0.0.5"), External: netip.MustParseAddr("203.0.113.7")},
		State: netinfo.BehindNAT,
	})
	m.Lookup(netinfo.LookupEvent{Result: netinfo.ResultOK})
	m.Lookup(netinfo.LookupEvent{Result: netinfo.ResultCanceled})
	m.Lookup(netinfo.LookupEvent{Result: netinfo.ResultCanceled})
	m.Lookup(netinfo.LookupEvent{Result: netinfo.ResultTimeout})
	m.SkewMeasured(clockskew.Sample{Source: clockskew.SourceNTP, Offset: -1500 * time.Millisecond, At: fixtureStart().Add(time.Minute)})
	m.SkewFailed(clockskew.SourceNTP, "pool.ntp.org", &clockskew.QueryError{Source: clockskew.SourceNTP, Failure: clockskew.FailTimeout})
	m.SkewFailed(clockskew.SourceNTP, "", clockskew.ErrNoAnswer)
	m.SkewMeasured(clockskew.Sample{Source: clockskew.SourceHTTPDate, Offset: 250 * time.Millisecond, At: fixtureStart().Add(2 * time.Minute)})

	if mode == ModeMiddle || mode == ModeAuto {
		feedMiddle(m)
	}
	if mode == ModeAuto {
		feedPaths(m)
	}
	s := m.Snapshot()
	s.PID, s.GoVersion, s.GenerateTime = 4242, "go1.99", 1234*time.Microsecond
	return m, s
}

// feedPaths makes DC 2 and -2 serve middle, the rest direct, after DC 2
// went direct once and came back, and DC 4 went direct.
func feedPaths(m *Metrics) {
	m.PathSwitched(auto.SwitchEvent{DC: 2, From: auto.PathMiddle, To: auto.PathDirect, Reason: auto.ReasonMiddleDown})
	m.PathSwitched(auto.SwitchEvent{DC: 2, From: auto.PathDirect, To: auto.PathMiddle, Reason: auto.ReasonMiddleReady})
	m.PathSwitched(auto.SwitchEvent{DC: 4, From: auto.PathMiddle, To: auto.PathDirect, Reason: auto.ReasonMiddleDown})
	m.PathSwitched(auto.SwitchEvent{Other: true, From: auto.PathMiddle, To: auto.PathDirect, Reason: auto.ReasonMiddleDown})
	paths := pathsDouble{{DC: 17, Path: auto.PathMiddle}} // no label of its own: ignored
	for _, id := range []int{-203, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 203} {
		p := auto.PathDirect
		if id == 2 || id == -2 {
			p = auto.PathMiddle
		}
		paths = append(paths, auto.DCPath{DC: id, Path: p})
	}
	m.SetPaths(append(paths, auto.DCPath{Other: true, Path: auto.PathDirect}))
}

func feedMiddle(m *Metrics) {
	o := m.MiddleObserver()
	ctx := context.Background()
	o.Handshake(ctx, middle.HandshakeEvent{DC: 2, Result: middle.HandshakeOK, Duration: 40 * time.Millisecond})
	o.Handshake(ctx, middle.HandshakeEvent{DC: 2, Result: middle.HandshakeClosedAfterNonce})
	o.Handshake(ctx, middle.HandshakeEvent{DC: -4, Result: middle.HandshakeDialFailed, Dial: dc.Refused})
	o.ConnClosed(middle.CloseEvent{DC: 2, Reason: middle.ClosePingTimeout})
	o.Refresh(middle.RefreshEvent{File: middle.FileConfig, Result: middle.RefreshOK})
	o.Refresh(middle.RefreshEvent{File: middle.FileSecret, Result: middle.RefreshUnchanged})
	o.Refresh(middle.RefreshEvent{File: middle.FileConfig, Result: middle.RefreshFetchFailed})
	loaded := fixtureStart().Add(10 * time.Minute)
	m.SetMiddle(&middleDouble{s: middle.Stats{
		Queries: middle.Counts{Forwarded: 100, Dropped: 2}, InvalidQueries: 3,
		Responses: middle.Counts{Forwarded: 90, Dropped: 1}, SimpleAcks: middle.Counts{Forwarded: 5},
		ClosedByMiddle: 1, SlowClients: 2,
		RPC:            middle.Traffic{BytesSent: 123456, BytesReceived: 654321, FramesSent: 100, FramesReceived: 90},
		ExtConnections: 7, ExtConnectionsCreated: 20, QueuedBytes: 1024, QueuedBytesMax: 4096,
		DeclaredTargets: 8, ReadyTargets: 7, ActiveTargets: 3,
		Targets: []middle.TargetStats{
			{Addr: netip.MustParseAddrPort("149.154.175.50:8888"), DCs: []int{2, -2}, Ready: 4, Connecting: 1, Clients: 5},
			{Addr: netip.MustParseAddrPort("149.154.167.91:8888"), DCs: []int{4}, Connecting: 2},
		},
		DCs: []middle.DCStats{
			{DC: -2, Targets: 1, ReadyTargets: 1, Ready: 4, Connecting: 1},
			{DC: 2, Targets: 1, ReadyTargets: 1, Ready: 4, Connecting: 1},
			{DC: 4, Targets: 1, Connecting: 2},
			{DC: 17, Targets: 1, Ready: 1},
		},
		Config: middle.FileStats{Name: "/data/proxy-multi.conf", Source: middle.SourceFetched, LoadedAt: loaded,
			Size: 1234, MD5: "0123456789abcdef0123456789abcdef", DCs: 10},
		Secret: middle.FileStats{Name: "/data/proxy-secret", Source: middle.SourceCache, LoadedAt: loaded,
			Size: 128, MD5: "fedcba9876543210fedcba9876543210"},
		ProxyTagSet: true,
	}})
}

// fixtureJA4 is a fingerprint from its text.
func fixtureJA4(s string) faketls.JA4 {
	var f faketls.JA4
	copy(f[:], s)
	return f
}
