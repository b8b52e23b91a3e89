package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestRunChecksOrderAndLateness(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	block := make(chan struct{})
	defer close(block)
	fastDone, slowDone := make(chan struct{}), make(chan struct{})
	checks := []Check{
		// Slow: runs on after the fast one has finished.
		{"slow", func(context.Context) Result {
			defer close(slowDone)
			<-fastDone
			time.Sleep(100 * time.Millisecond)
			return okf("slow")
		}},
		{"stuck", func(context.Context) Result { <-block; return okf("never") }},
		{"fast", func(context.Context) Result { defer close(fastDone); return warnf("fast") }},
		{"honours ctx", func(ctx context.Context) Result { <-ctx.Done(); return failf("cancelled") }},
	}
	// The run's deadline passes once the slow check is done; RunChecks
	// returns without waiting for the stuck one (block is only closed when
	// this test returns).
	go func() { <-slowDone; cancel() }()
	out := RunChecks(ctx, checks)
	var names []string
	for _, o := range out {
		names = append(names, o.Name)
	}
	if strings.Join(names, ",") != "slow,stuck,fast,honours ctx" {
		t.Errorf("order %v", names)
	}
	want(t, out[0].Result, OK, "slow")
	want(t, out[1].Result, Fail, "did not finish in time")
	want(t, out[2].Result, Warn, "fast")
	want(t, out[3].Result, Fail, "cancelled")
	// Each check is timed on its own: the fast one ended before the slow
	// one's last 100 ms began.
	if out[2].Took >= out[0].Took {
		t.Errorf("the fast check took %v, the slow one %v: timed with the slow one", out[2].Took, out[0].Took)
	}
}

func testReport() Report {
	return Report{Took: 1500 * time.Millisecond, Outcomes: []Outcome{
		{Name: "config", Result: okf("mode direct")},
		{Name: "middle proxies", Result: failf("0 of 1 answered").note("dc 2 127.0.0.1:1: connection refused")},
		{Name: "tag", Result: skipf("no TAG")},
		{Name: "clock", Result: warnf("offset unknown")},
	}}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := testReport().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `[ok]   config          mode direct
[FAIL] middle proxies  0 of 1 answered
         dc 2 127.0.0.1:1: connection refused
[skip] tag             no TAG
[warn] clock           offset unknown
FAILED: 1 ok, 1 warning, 1 failed, 1 skipped (1.5s)
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	r := Report{Outcomes: []Outcome{{Name: "a", Result: okf("x")}, {Name: "b", Result: warnf("y")}}}
	b.Reset()
	_ = r.WriteText(&b)
	if !strings.HasSuffix(b.String(), "ok with warnings: 1 ok, 1 warning, 0 failed, 0 skipped (0s)\n") || r.Failed() {
		t.Errorf("summary of a report without failures: %q", b.String())
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := testReport().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got struct {
		OK     bool  `json:"ok"`
		TookMS int64 `json:"took_ms"`
		Checks []struct {
			Name, Status, Detail string
			Notes                []string
		} `json:"checks"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v in %s", err, b.String())
	}
	if got.OK || got.TookMS != 1500 || len(got.Checks) != 4 {
		t.Fatalf("got %+v", got)
	}
	c := got.Checks[1]
	if c.Name != "middle proxies" || c.Status != "fail" || c.Detail != "0 of 1 answered" || len(c.Notes) != 1 {
		t.Errorf("check %+v", c)
	}
	if got.Checks[2].Status != "skip" || got.Checks[3].Status != "warn" || got.Checks[0].Status != "ok" {
		t.Errorf("statuses %+v", got.Checks)
	}
}
