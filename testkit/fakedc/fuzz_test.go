package fakedc

import (
	"bytes"
	"testing"
)

// FuzzParseBulk checks the control-protocol parsers never panic and that
// what parses re-encodes to the same bytes.
func FuzzParseBulk(f *testing.F) {
	f.Add(BulkRequest{Op: OpDownload, Total: 100, Chunk: 8}.Append(nil))
	f.Add(BulkRequest{Op: OpUpload, Total: 1 << 30}.Append(nil))
	f.Add(BulkReport{Received: 7, FirstBad: -1}.Append(nil))
	f.Add([]byte("BULK"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := ParseBulkRequest(b); err == nil {
			if got := r.Append(nil); !bytes.Equal(got, b) {
				t.Fatalf("request re-encodes to %x", got)
			}
			if c := chunkFor(r, true); c < 4 || c%4 != 0 || c > maxPacketChunk {
				t.Fatalf("packet chunk %d", c)
			}
		}
		if r, err := ParseBulkReport(b); err == nil {
			if got := r.Append(nil); !bytes.Equal(got, b) {
				t.Fatalf("report re-encodes to %x", got)
			}
		}
	})
}
