package unauth

import (
	"net/netip"
	"slices"
	"sync"
	"testing"
)

type evictions struct {
	mu  sync.Mutex
	got []string
}

func (e *evictions) fn(name string) func(Reason) {
	return func(r Reason) {
		e.mu.Lock()
		e.got = append(e.got, name+":"+r.String())
		e.mu.Unlock()
	}
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestEvictsTheOldestAtTheTotal(t *testing.T) {
	tr := New(3, 3)
	var ev evictions
	a := tr.Admit(ip("192.0.2.1"), ev.fn("a"))
	tr.Admit(ip("192.0.2.2"), ev.fn("b"))
	tr.Admit(ip("192.0.2.3"), ev.fn("c"))
	if tr.Len() != 3 || len(ev.got) != 0 {
		t.Fatalf("len %d, evicted %v", tr.Len(), ev.got)
	}
	tr.Admit(ip("192.0.2.4"), ev.fn("d"))
	if tr.Len() != 3 || !slices.Equal(ev.got, []string{"a:limit"}) {
		t.Fatalf("len %d, evicted %v", tr.Len(), ev.got)
	}
	tr.Release(a) // the evicted one ends: nothing changes
	if tr.Len() != 3 {
		t.Fatalf("len %d after releasing an evicted entry", tr.Len())
	}
	tr.Admit(ip("192.0.2.5"), ev.fn("e"))
	if !slices.Equal(ev.got, []string{"a:limit", "b:limit"}) {
		t.Fatalf("evicted %v", ev.got)
	}
}

// One source at its limit loses its own oldest connection, not another
// source's, even when that one is older.
func TestPerSourceLimit(t *testing.T) {
	tr := New(10, 2)
	var ev evictions
	tr.Admit(ip("198.51.100.9"), ev.fn("other"))
	tr.Admit(ip("2001:db8::1"), ev.fn("v6a"))
	b := tr.Admit(ip("2001:db8::ffff"), ev.fn("v6b")) // the same /64
	tr.Admit(ip("2001:db8:0:1::1"), ev.fn("v6other")) // another /64
	if len(ev.got) != 0 {
		t.Fatalf("evicted %v", ev.got)
	}
	tr.Admit(ip("2001:db8::2"), ev.fn("v6c"))
	if !slices.Equal(ev.got, []string{"v6a:per_ip"}) {
		t.Fatalf("evicted %v", ev.got)
	}
	tr.Release(b)
	tr.Admit(ip("2001:db8::3"), ev.fn("v6d"))
	if len(ev.got) != 1 || tr.Len() != 4 {
		t.Fatalf("evicted %v, len %d", ev.got, tr.Len())
	}
	// IPv4-mapped addresses count as IPv4.
	if SourceKey(ip("::ffff:192.0.2.1")) != SourceKey(ip("192.0.2.1")) {
		t.Fatal("mapped address counted apart")
	}
}

// Released entries free their slots, in any order, and the lists stay
// consistent.
func TestReleaseInAnyOrder(t *testing.T) {
	tr := New(100, 100)
	var es []*Entry
	for i := range 50 {
		es = append(es, tr.Admit(netip.AddrFrom4([4]byte{10, 0, byte(i % 3), 1}), func(Reason) { t.Error("evicted") }))
	}
	for _, i := range []int{0, 49, 25, 1, 48, 24, 26} {
		tr.Release(es[i])
		tr.Release(es[i])
	}
	if tr.Len() != 43 {
		t.Fatalf("len %d", tr.Len())
	}
	for _, e := range es {
		tr.Release(e)
	}
	if tr.Len() != 0 || tr.oldest != nil || tr.last != nil || len(tr.bySource) != 0 {
		t.Fatalf("not empty: %d, %v", tr.Len(), tr.bySource)
	}
}

// Concurrent admissions never exceed the limits, and every eviction is
// delivered once.
func TestConcurrentAdmissions(t *testing.T) {
	tr := New(64, 8)
	var mu sync.Mutex
	evicted := map[*Entry]int{}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				var e *Entry
				done := make(chan struct{})
				e = tr.Admit(netip.AddrFrom4([4]byte{10, 0, byte(g), byte(i % 20)}), func(Reason) {
					<-done
					mu.Lock()
					evicted[e]++
					mu.Unlock()
				})
				close(done)
				if i%3 == 0 {
					tr.Release(e)
				}
				if n := tr.Len(); n > 64 {
					t.Errorf("%d tracked", n)
				}
			}
		}()
	}
	wg.Wait()
	for e, n := range evicted {
		if n != 1 {
			t.Fatalf("%p evicted %d times", e, n)
		}
	}
}
