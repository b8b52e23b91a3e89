package rpc

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"net/netip"
	"testing"
)

func FuzzFrameReader(f *testing.F) {
	tab := crc32.IEEETable
	f.Add(handFrame(-2, []byte("abcd"), tab), false, false)
	f.Add(append([]byte{4, 0, 0, 0}, append(handFrame(-2, nil, tab), handFrame(-1, make([]byte, 32), tab)...)...), false, false)
	f.Add(handFrame(-2, []byte("abcdefgh"), crc32.MakeTable(crc32.Castagnoli)), false, true)
	f.Add(handEncrypt(f, cbc(f, true), append(handFrame(-2, make([]byte, 20), tab), handFrame(-1, nil, tab)...)), true, false)
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0}, false, false)

	f.Fuzz(func(t *testing.T, data []byte, encrypted, crc32c bool) {
		sum := ChecksumCRC32
		if crc32c {
			sum = ChecksumCRC32C
		}
		fr := NewFrameReader(bytes.NewReader(data))
		fr.SetMaxFrameSize(1 << 16)
		fr.SetChecksum(sum)
		if encrypted {
			must(t, fr.EnableDecryption(testKey, testIV))
		}
		var payloads [][]byte
		for {
			p, err := fr.ReadFrame()
			if err != nil {
				break
			}
			if len(p)%4 != 0 || len(p) > 1<<16 {
				t.Fatalf("payload of %d bytes", len(p))
			}
			payloads = append(payloads, bytes.Clone(p))
		}

		// Re-encoding what was read reproduces it.
		var out bytes.Buffer
		fw := NewFrameWriter(&out)
		fw.SetChecksum(sum)
		if encrypted {
			must(t, fw.EnableEncryption(testKey, testIV))
		}
		for _, p := range payloads {
			must(t, fw.QueueFrame(p))
		}
		must(t, fw.Flush())
		if !encrypted {
			// In plaintext, the frames are the input minus padding words.
			var stripped []byte
			for pos := 0; pos+4 <= len(data) && len(stripped) < out.Len(); {
				n := int(binary.LittleEndian.Uint32(data[pos:]))
				if n == 4 {
					pos += 4
					continue
				}
				stripped = append(stripped, data[pos:pos+n]...)
				pos += n
			}
			if !bytes.Equal(stripped, out.Bytes()) {
				t.Fatal("re-encoded frames differ from the input")
			}
		}
		fr2 := NewFrameReader(&out)
		fr2.SetChecksum(sum)
		if encrypted {
			must(t, fr2.EnableDecryption(testKey, testIV))
		}
		for i, want := range payloads {
			got, err := fr2.ReadFrame()
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("frame %d: %v", i, err)
			}
		}
	})
}

func FuzzParseServerMessage(f *testing.F) {
	f.Add(appendProxyAns(nil, 0, 7, []byte("datadata")))
	f.Add(appendSimpleAck(nil, 7, 0x01020304))
	f.Add(appendCloseExt(nil, 7))
	f.Add(AppendPing(nil, 7))
	f.Add(AppendPong(nil, 7))
	f.Add(AppendCloseConn(nil, 7))
	f.Add([]byte{0x0d, 0xda, 0x03})

	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseServerMessage(b)
		if err != nil {
			return
		}
		var re []byte
		switch m.Type {
		case TypeProxyAns:
			re = appendProxyAns(nil, m.Flags, m.ConnID, m.Data)
		case TypeSimpleAck:
			re = appendSimpleAck(nil, m.ConnID, m.Confirm)
		case TypeCloseExt:
			re = appendCloseExt(nil, m.ConnID)
		case TypePing:
			re = AppendPing(nil, m.PingID)
		case TypePong:
			re = AppendPong(nil, m.PingID)
		default:
			t.Fatalf("accepted type %v", m.Type)
		}
		if !bytes.Equal(re, b) {
			t.Fatalf("re-encoded %x, input %x", re, b)
		}
	})
}

// FuzzParseClientMessages covers the other parsers: RPC_PROXY_REQ,
// RPC_CLOSE_CONN, RPC_NONCE, RPC_HANDSHAKE(_ERROR) and the proxy secret.
func FuzzParseClientMessages(f *testing.F) {
	tag := AdTag{1, 2, 3}
	f.Add(appendProxyReq(nil, &ProxyReq{AdTag: &tag, ClientAddr: netip.MustParseAddrPort("1.2.3.4:5")}, []byte("pkt.")))
	f.Add(appendProxyReq(nil, &ProxyReq{ProxyAddr: netip.MustParseAddrPort("[::1]:5")}, nil))
	f.Add(AppendCloseConn(nil, 9))
	f.Add(AppendNonce(nil, Nonce{KeySelector: 1, Schema: 1}))
	f.Add(AppendHandshake(nil, Handshake{Flags: HandshakeFlagCRC32C}))
	f.Add(appendHandshakeError(nil, HandshakeError{Code: -3}))
	f.Add(bytes.Repeat([]byte{0xc4, 0x01}, 64))

	f.Fuzz(func(t *testing.T, b []byte) {
		if r, pkt, err := parseProxyReq(b); err == nil {
			re := appendProxyReq(nil, &r, pkt)
			r2, pkt2, err := parseProxyReq(re)
			if err != nil || !bytes.Equal(pkt, pkt2) || r2.Flags != r.Flags&^flagHTTPInfo || r2.ConnID != r.ConnID ||
				r2.ClientAddr != r.ClientAddr || r2.ProxyAddr != r.ProxyAddr || (r.AdTag == nil) != (r2.AdTag == nil) ||
				(r.AdTag != nil && *r.AdTag != *r2.AdTag) {
				t.Fatalf("proxy req round trip: %+v -> %+v, %v", r, r2, err)
			}
		}
		if id, err := parseCloseConn(b); err == nil && !bytes.Equal(AppendCloseConn(nil, id), b) {
			t.Fatal("close conn round trip")
		}
		if n, err := ParseNonce(b); err == nil && !bytes.Equal(AppendNonce(nil, n), b) {
			t.Fatal("nonce round trip")
		}
		if h, err := ParseHandshake(b); err == nil && !bytes.Equal(AppendHandshake(nil, h), b) {
			t.Fatal("handshake round trip")
		}
		if e, err := ParseHandshakeError(b); err == nil && !bytes.Equal(appendHandshakeError(nil, *e), b) {
			t.Fatal("handshake error round trip")
		}
		if s, err := ParseProxySecret(b); err == nil {
			if s.Len() != len(b) || s.KeySelector() != binary.LittleEndian.Uint32(b) || s.KeySelector() == 0 {
				t.Fatal("proxy secret")
			}
		}
	})
}
