package replay

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"
)

// The file format: the magic, the number of entries (uint32, big endian),
// each entry as its 16-byte key and its expiry (int64 unix nanoseconds, big
// endian), then a CRC-32 (IEEE) of everything before it.
const (
	fileMagic = "mtproxy-replay\x00\x01"
	entryLen  = 16 + 8
)

// ErrBadFile means a saved cache is truncated, corrupt or not one.
var ErrBadFile = errors.New("replay: not a valid saved cache")

// Save writes the keys still inside their window at now.
func (c *Cache) Save(w io.Writer, now time.Time) error {
	c.mu.Lock()
	c.expire(now.UnixNano())
	b := make([]byte, 0, len(fileMagic)+4+len(c.order)*entryLen+4)
	b = append(b, fileMagic...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(c.order)))
	for _, e := range c.order {
		b = append(b, e.k[:]...)
		b = binary.BigEndian.AppendUint64(b, uint64(e.exp))
	}
	c.mu.Unlock()
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	_, err := w.Write(b)
	return err
}

// Read returns a cache for up to size keys holding the keys of a saved
// cache that are still inside their window at now. When the file holds
// more live keys than size, those closest to their expiry are left out
// (counted as EvictFull). It fails with ErrBadFile when r is not a whole,
// intact saved cache.
func Read(r io.Reader, size int, now time.Time) (*Cache, error) {
	crc := crc32.NewIEEE()
	br := bufio.NewReader(r)
	in := io.TeeReader(br, crc)
	var head [len(fileMagic) + 4]byte
	if _, err := io.ReadFull(in, head[:]); err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrBadFile, err)
	}
	if string(head[:len(fileMagic)]) != fileMagic {
		return nil, fmt.Errorf("%w: unknown header", ErrBadFile)
	}
	n := binary.BigEndian.Uint32(head[len(fileMagic):])
	c := New(size)
	t := now.UnixNano()
	var rec [entryLen]byte
	for i := uint32(0); i < n; i++ {
		if _, err := io.ReadFull(in, rec[:]); err != nil {
			return nil, fmt.Errorf("%w: entry %d of %d: %w", ErrBadFile, i+1, n, err)
		}
		var k Key
		copy(k[:], rec[:16])
		exp := int64(binary.BigEndian.Uint64(rec[16:]))
		if exp < t {
			continue
		}
		if _, dup := c.keys[k]; dup {
			continue
		}
		c.add(k, exp)
	}
	want := crc.Sum32()
	var sum [4]byte
	if _, err := io.ReadFull(br, sum[:]); err != nil {
		return nil, fmt.Errorf("%w: checksum: %w", ErrBadFile, err)
	}
	if binary.BigEndian.Uint32(sum[:]) != want {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrBadFile)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("%w: bytes after the checksum", ErrBadFile)
	}
	return c, nil
}
