package proxy

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

type nopUpstream struct{}

func (nopUpstream) Serve(context.Context, *Session) error { return nil }

type noUsers struct{}

func (noUsers) Keys(netip.Addr) (KeySnapshot, int)               { return nil, -1 }
func (noUsers) Admit(KeySnapshot, int, netip.Addr) (Lease, bool) { return nil, false }

func TestNewValidates(t *testing.T) {
	one := []Secret{{Key: [16]byte{1}}}
	for _, c := range []struct {
		name string
		o    Options
		want error
	}{
		{"no secrets", Options{Upstream: nopUpstream{}}, ErrNoSecrets},
		{"too many secrets", Options{Secrets: make([]Secret, MaxSecrets+1), Upstream: nopUpstream{}}, ErrTooManySecrets},
		{"TLSOnly without a domain", Options{Secrets: one, TLSOnly: true, Upstream: nopUpstream{}}, ErrTLSOnly},
		{"no upstream", Options{Secrets: one}, ErrNoUpstream},
		{"secrets and users", Options{Secrets: one, Users: noUsers{}, Upstream: nopUpstream{}}, ErrSecretsAndUsers},
	} {
		if _, err := New(c.o); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := New(Options{Users: noUsers{}, Upstream: nopUpstream{}}); err != nil {
		t.Errorf("users without secrets: %v", err)
	}
}

// Zero fields get the documented Default constants; set ones are kept.
func TestNewDefaults(t *testing.T) {
	p, err := New(Options{Secrets: []Secret{{Key: [16]byte{1}}}, Upstream: nopUpstream{}, KeepAlive: -1, BufferSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	o := p.o
	if o.FrontingTimeout != DefaultFrontingTimeout || o.FrontingMaxBytes != DefaultFrontingMaxBytes ||
		o.DrainTimeout != DefaultDrainTimeout || o.TimeSkew != DefaultTimeSkew ||
		o.ReplayCacheSize != DefaultReplayCacheSize || o.MaxConnections != DefaultMaxConnections ||
		o.HandshakeTimeout != DefaultHandshakeTimeout {
		t.Errorf("defaults not applied: %+v", o)
	}
	if o.KeepAlive != -1 {
		t.Errorf("a negative KeepAlive (disabled) became %v", o.KeepAlive)
	}
	if o.BufferSize != MinBufferSize {
		t.Errorf("BufferSize 100 became %d, want the floor %d", o.BufferSize, MinBufferSize)
	}
	if o.Logger == nil || o.Observer == nil || o.TracerProvider == nil || o.Rand == nil || o.Now == nil {
		t.Errorf("a nil default is left: %+v", o)
	}
	if p.MaxConnections() != DefaultMaxConnections {
		t.Errorf("MaxConnections() = %d", p.MaxConnections())
	}
	if q, _ := New(Options{Secrets: []Secret{{Key: [16]byte{1}}}, Upstream: nopUpstream{}}); q.o.BufferSize != DefaultBufferSize {
		t.Errorf("BufferSize default %d", q.o.BufferSize)
	}
}
