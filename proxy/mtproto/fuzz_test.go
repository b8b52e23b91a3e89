package mtproto

import (
	"bytes"
	"testing"
)

func seedMessages(f *testing.F) {
	nonce, server := nonces()
	f.Add(AppendReqPQMulti(nil, 4, nonce))
	f.Add((&ResPQ{Nonce: nonce, ServerNonce: server, PQ: DefaultPQ, Fingerprints: []int64{DefaultFingerprint}}).Append(nil, 5))
	f.Add((&ReqDHParams{Nonce: nonce, P: 1229739323, Q: 1402015859, Fingerprint: DefaultFingerprint,
		EncryptedData: make([]byte, 256)}).Append(nil, 8))
	f.Add([]byte{})
}

// FuzzParse feeds arbitrary packets to every parser: none may panic, and
// whatever parses must re-encode to the same bytes (the encodings are
// canonical: shortest numbers, zero padding, exact lengths).
func FuzzParse(f *testing.F) {
	seedMessages(f)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		if id, nonce, err := ParseReqPQMulti(pkt); err == nil {
			if got := AppendReqPQMulti(nil, id, nonce); !bytes.Equal(got, pkt) {
				t.Fatalf("req_pq_multi re-encodes to %x", got)
			}
		}
		if id, r, err := ParseResPQ(pkt); err == nil {
			if got := r.Append(nil, id); !bytes.Equal(got, pkt) {
				t.Fatalf("resPQ re-encodes to %x", got)
			}
		}
		if id, r, err := ParseReqDHParams(pkt); err == nil {
			if got := r.Append(nil, id); !bytes.Equal(got, pkt) {
				t.Fatalf("req_DH_params re-encodes to %x", got)
			}
		}
		if id, body, err := ParsePlain(pkt); err == nil {
			if got := AppendPlain(nil, id, body); !bytes.Equal(got, pkt) {
				t.Fatalf("envelope re-encodes to %x", got)
			}
		}
		Constructor(pkt)
	})
}
