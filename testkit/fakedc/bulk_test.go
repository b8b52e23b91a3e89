package fakedc

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

func TestPattern(t *testing.T) {
	p := make([]byte, 600)
	FillPattern(p, 0)
	if p[0] != 0 || p[250] != 250 || p[251] != 0 || p[599] != byte(599%251) {
		t.Fatalf("pattern %v", p[245:255])
	}
	// Any window of the stream matches at its offset, and only there.
	FillPattern(p[:100], 1000)
	if CheckPattern(p[:100], 1000) != -1 || CheckPattern(p[:100], 1001) != 0 {
		t.Fatal("offset not honoured")
	}
	p[42] ^= 1
	if got := CheckPattern(p[:100], 1000); got != 42 {
		t.Fatalf("first bad %d, want 42", got)
	}
}

func TestBulkRequestCodec(t *testing.T) {
	r := BulkRequest{Op: OpUpload, Total: 1 << 40, Chunk: 12345}
	b := r.Append(nil)
	if len(b) != BulkRequestLen || string(b[:4]) != "BULK" {
		t.Fatalf("encoding %x", b)
	}
	if back, err := ParseBulkRequest(b); err != nil || back != r {
		t.Fatalf("%+v %v", back, err)
	}
	bad := map[string][]byte{
		"short":     b[:23],
		"long":      append(append([]byte(nil), b...), 0),
		"magic":     append([]byte("BULL"), b[4:]...),
		"op 0":      BulkRequest{Op: 0}.Append(nil),
		"op report": BulkRequest{Op: OpReport}.Append(nil),
		"flags":     append(append([]byte(nil), b[:20]...), 1, 0, 0, 0),
		"chunk":     BulkRequest{Op: OpDownload, Chunk: maxRawChunk + 1}.Append(nil),
	}
	for name, in := range bad {
		if _, err := ParseBulkRequest(in); !errors.Is(err, ErrBadControl) {
			t.Errorf("%s: %v", name, err)
		}
	}
	rep := BulkReport{Received: 99, FirstBad: -1}
	if back, err := ParseBulkReport(rep.Append(nil)); err != nil || back != rep {
		t.Fatalf("report %+v %v", back, err)
	}
	if _, err := ParseBulkReport(b); !errors.Is(err, ErrBadControl) {
		t.Fatal("a request parsed as a report")
	}
}

func TestBulkPackets(t *testing.T) {
	d := Start(t, Options{})
	for _, tr := range transports {
		t.Run(tr.String(), func(t *testing.T) {
			c := dial(t, d, tr, 2)
			// Download: 3 full packets of 4000 bytes and a 100-byte tail.
			c.send(t, BulkRequest{Op: OpDownload, Total: 12100, Chunk: 4002}.Append(nil), false)
			var off uint64
			for _, want := range []int{4000, 4000, 4000, 100} {
				p, _ := c.recv(t)
				if len(p) != want || CheckPattern(p, off) != -1 {
					t.Fatalf("download packet of %d bytes at %d (want %d)", len(p), off, want)
				}
				off += uint64(len(p))
			}
			// Upload, with one corrupted byte at offset 5000.
			c.send(t, BulkRequest{Op: OpUpload, Total: 8000}.Append(nil), false)
			for i := range 2 {
				p := make([]byte, 4000)
				FillPattern(p, uint64(i*4000))
				if i == 1 {
					p[1000] ^= 0xff
				}
				c.send(t, p, false)
			}
			p, _ := c.recv(t)
			rep, err := ParseBulkReport(p)
			if err != nil || rep.Received != 8000 || rep.FirstBad != 5000 {
				t.Fatalf("report %+v %v", rep, err)
			}
			// The connection is back to normal afterwards.
			c.send(t, []byte("echo"), false)
			if p, _ := c.recv(t); string(p) != "echo" {
				t.Fatalf("after bulk: %q", p)
			}
		})
	}
	if st := d.Stats(); st.Bulk != 6 {
		t.Fatalf("bulk transfers %d", st.Bulk)
	}
}

func TestBulkPacketsErrors(t *testing.T) {
	d := Start(t, Options{})
	cases := map[string][][]byte{
		"bad op":          {BulkRequest{Op: 9}.Append(nil)},
		"unaligned total": {BulkRequest{Op: OpDownload, Total: 6}.Append(nil)},
		"upload overrun":  {BulkRequest{Op: OpUpload, Total: 8}.Append(nil), make([]byte, 12)},
	}
	for name, pkts := range cases {
		t.Run(name, func(t *testing.T) {
			c := dial(t, d, transports[1], 7)
			for _, p := range pkts {
				c.send(t, p, false)
			}
			ci, err := d.WaitFor(ctx(t), func(ci ConnInfo) bool { return ci.DC == 7 && ci.Closed })
			if err != nil || !errors.Is(ci.Err, ErrBadControl) {
				t.Fatalf("%+v %v", ci, err)
			}
			c.nc.Close()
		})
		d.mu.Lock()
		for id, c := range d.conns { // let the next case find its own connection
			if c.closed {
				delete(d.conns, id)
			}
		}
		d.mu.Unlock()
	}
}

func TestBulkRaw(t *testing.T) {
	d := Start(t, Options{Mode: Raw})
	c := dial(t, d, transports[0], 2)
	const down, up = 5<<20 + 3, 3<<20 + 1
	mustWrite(t, c.w, BulkRequest{Op: OpDownload, Total: down, Chunk: 100000}.Append(nil))
	c.deadline(t, 20*time.Second)
	got := make([]byte, down)
	if _, err := io.ReadFull(c.r, got); err != nil {
		t.Fatal(err)
	}
	if i := CheckPattern(got, 0); i != -1 {
		t.Fatalf("download differs at %d", i)
	}
	// Request and data in one write: the DC must not read past the upload.
	data := make([]byte, up)
	FillPattern(data, 0)
	data[up-1]++
	req := BulkRequest{Op: OpUpload, Total: up}.Append(nil)
	next := BulkRequest{Op: OpDownload, Total: 10}.Append(nil)
	mustWrite(t, c.w, append(append(req, data...), next...))
	rep := make([]byte, BulkRequestLen)
	if _, err := io.ReadFull(c.r, rep); err != nil {
		t.Fatal(err)
	}
	if r, err := ParseBulkReport(rep); err != nil || r.Received != up || r.FirstBad != up-1 {
		t.Fatalf("report %+v %v", r, err)
	}
	tail := make([]byte, 10)
	if _, err := io.ReadFull(c.r, tail); err != nil || CheckPattern(tail, 0) != -1 {
		t.Fatalf("second download %v %v", tail, err)
	}
	// Anything but a request after a transfer closes the connection.
	mustWrite(t, c.w, bytes.Repeat([]byte("x"), BulkRequestLen))
	ci, err := d.WaitFor(ctx(t), func(ci ConnInfo) bool { return ci.Closed })
	if err != nil || !errors.Is(ci.Err, ErrBadControl) || ci.Bulk != 3 {
		t.Fatalf("%+v %v", ci, err)
	}
}

func TestBulkRawUploadCutShort(t *testing.T) {
	d := Start(t, Options{Mode: Raw})
	c := dial(t, d, transports[0], 2)
	mustWrite(t, c.w, BulkRequest{Op: OpUpload, Total: 1000}.Append(nil))
	mustWrite(t, c.w, make([]byte, 10))
	c.nc.Close()
	ci, err := d.WaitFor(ctx(t), func(ci ConnInfo) bool { return ci.Closed })
	if err != nil || !errors.Is(ci.Err, io.ErrUnexpectedEOF) {
		t.Fatalf("%+v %v", ci, err)
	}
}
