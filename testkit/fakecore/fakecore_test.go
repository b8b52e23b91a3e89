package fakecore

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"
)

func get(t *testing.T, url string) (*http.Response, []byte, error) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func TestServer(t *testing.T) {
	s := New([]byte("secret"), []byte("config"), nil)
	defer s.Close()
	resp, b, err := get(t, s.SecretURL())
	if err != nil || resp.StatusCode != 200 || string(b) != "secret" {
		t.Fatalf("secret: %v %v %q", err, resp, b)
	}
	if resp, _, _ := get(t, s.ConfigV6URL()); resp.StatusCode != 404 {
		t.Fatalf("unset file: %d", resp.StatusCode)
	}
	s.Set(PathConfig, []byte("new"))
	if _, b, _ := get(t, s.ConfigURL()); !bytes.Equal(b, []byte("new")) {
		t.Fatalf("swapped config %q", b)
	}
	s.SetDateSkew(-time.Hour)
	resp, _, _ = get(t, s.ConfigURL())
	d, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil || time.Since(d) < 59*time.Minute || time.Since(d) > 61*time.Minute {
		t.Fatalf("skewed date %q: %v", resp.Header.Get("Date"), err)
	}
	s.SetStatus(503)
	if resp, _, _ := get(t, s.ConfigURL()); resp.StatusCode != 503 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	s.SetStatus(0)
	s.SetDown(true)
	if _, _, err := get(t, s.ConfigURL()); err == nil {
		t.Fatal("down server answered")
	}
	s.SetDown(false)
	if resp, _, err := get(t, s.ConfigURL()); err != nil || resp.StatusCode != 200 {
		t.Fatalf("back up: %v", err)
	}
	if n := s.Requests(PathConfig); n != 5 {
		t.Fatalf("config requests %d, want 5", n)
	}
}

// A held request is counted on arrival and answered only on release.
func TestHold(t *testing.T) {
	s := New([]byte("secret"), nil, nil)
	defer s.Close()
	release := s.Hold()
	type answer struct {
		b   []byte
		err error
	}
	got := make(chan answer, 1)
	go func() {
		_, b, err := get(t, s.SecretURL())
		got <- answer{b, err}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for s.Requests(PathSecret) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the held request was not counted")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case a := <-got:
		t.Fatalf("answered while held: %q %v", a.b, a.err)
	default:
	}
	release()
	release() // idempotent
	if a := <-got; a.err != nil || string(a.b) != "secret" {
		t.Fatalf("after release: %q %v", a.b, a.err)
	}
}
