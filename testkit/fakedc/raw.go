package fakedc

import (
	"errors"
	"fmt"
	"io"
)

// serveRaw runs a Raw-mode connection: a bulk connection when the stream
// starts with the bulk magic, an echo connection otherwise.
func (s *session) serveRaw() error {
	var first [BulkRequestLen]byte
	n, err := s.readPrefix(first[:])
	if n >= 4 && IsBulk(first[:n]) {
		if _, err := io.ReadFull(s.dec, first[n:]); err != nil {
			return noEOF(err)
		}
		return s.bulkRaw(first[:])
	}
	if n > 0 {
		if werr := s.echo(first[:n]); werr != nil {
			return werr
		}
	}
	if err != nil {
		return err
	}
	return s.echoLoop()
}

// readPrefix reads into b until it holds 4 bytes or bytes that cannot start
// the bulk magic, so an echo client sending less than 4 bytes is not kept
// waiting unless its bytes do spell the start of the magic.
func (s *session) readPrefix(b []byte) (int, error) {
	var magic [4]byte
	BulkRequest{}.Append(magic[:0])
	n := 0
	for n < 4 && string(b[:n]) == string(magic[:n]) {
		m, err := s.dec.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// echo sends b, which the session owns, back after the configured delay.
func (s *session) echo(b []byte) error {
	if err := s.pause(); err != nil {
		return err
	}
	_, err := s.enc.writeInPlace(b)
	return err
}

// echoLoop echoes the stream. Reads go to a small per-connection buffer
// while the peer is slow or idle, so thousands of idle connections cost
// little; a read that fills it switches to a pooled large buffer, given back
// once reads shrink again. No allocation per read.
func (s *session) echoLoop() error {
	small := make([]byte, smallBufSize)
	var large *[]byte
	defer func() {
		if large != nil {
			s.d.pool.put(large)
		}
	}()
	for {
		buf := small
		if large != nil {
			buf = *large
		}
		n, err := s.dec.Read(buf)
		if n > 0 {
			if werr := s.echo(buf[:n]); werr != nil {
				return werr
			}
		}
		if err != nil {
			return err
		}
		switch {
		case large == nil && n == len(small):
			large = s.d.pool.get()
		case large != nil && n < smallBufSize:
			s.d.pool.put(large)
			large = nil
		}
	}
}

// bulkRaw serves bulk requests until the stream ends; first is the first
// request.
func (s *session) bulkRaw(first []byte) error {
	req := first
	for {
		r, err := ParseBulkRequest(req)
		if err != nil {
			return err
		}
		if r.Op == OpDownload {
			err = s.downloadRaw(r)
		} else {
			err = s.uploadRaw(r)
		}
		if err != nil {
			return err
		}
		s.bulkDone()
		if _, err := io.ReadFull(s.dec, req); err != nil {
			return err // io.EOF here is a clean end
		}
	}
}

func (s *session) downloadRaw(r BulkRequest) error {
	chunk := chunkFor(r, false)
	buf, release := s.buffer(chunk)
	defer release()
	if err := s.pause(); err != nil {
		return err
	}
	for off := uint64(0); off < r.Total; {
		n := int(min(uint64(chunk), r.Total-off))
		FillPattern(buf[:n], off)
		if _, err := s.enc.writeInPlace(buf[:n]); err != nil {
			return err
		}
		off += uint64(n)
	}
	return nil
}

func (s *session) uploadRaw(r BulkRequest) error {
	buf, release := s.buffer(largeBufSize)
	defer release()
	rep := BulkReport{FirstBad: -1}
	for rep.Received < r.Total {
		n, err := s.dec.Read(buf[:min(uint64(len(buf)), r.Total-rep.Received)])
		if i := CheckPattern(buf[:n], rep.Received); i >= 0 && rep.FirstBad < 0 {
			rep.FirstBad = int64(rep.Received) + int64(i)
		}
		rep.Received += uint64(n)
		if err != nil && rep.Received < r.Total {
			return fmt.Errorf("fakedc: upload ended after %d of %d bytes: %w", rep.Received, r.Total, noEOF(err))
		}
	}
	if err := s.pause(); err != nil {
		return err
	}
	var b [BulkRequestLen]byte
	_, err := s.enc.writeInPlace(rep.Append(b[:0]))
	return err
}

// noEOF turns a clean end of stream in the middle of something into
// io.ErrUnexpectedEOF, which the DC records as an error.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
