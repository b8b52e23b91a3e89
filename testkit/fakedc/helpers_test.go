package fakedc

import (
	"crypto/cipher"
	"crypto/rand"
	"io"
	"net"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/proxy/framing"
	"github.com/mtproxy/mtproxy/proxy/obfuscated2"
)

var transports = []framing.Transport{framing.Abridged, framing.Intermediate, framing.Padded}

// dcClient is the proxy's side of a DC connection, as the test sees it.
type dcClient struct {
	nc  net.Conn
	hdr [obfuscated2.HeaderLen]byte
	r   io.Reader // decrypted stream from the DC
	w   io.Writer // encrypts toward the DC
	enc cipher.Stream
	dec cipher.Stream
	rd  *framing.Reader
	wr  *framing.Writer
}

// dial connects to d and sends a header made without a secret, as the
// proxy does in direct mode.
func dial(t testing.TB, d *DC, tr framing.Transport, dc int16) *dcClient {
	t.Helper()
	nc, err := net.Dial("tcp", d.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	hdr, enc, dec, err := obfuscated2.Generate(rand.Reader, nil, tr, dc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write(hdr[:]); err != nil {
		t.Fatal(err)
	}
	c := &dcClient{nc: nc, hdr: hdr, enc: enc, dec: dec,
		r: cipher.StreamReader{S: dec, R: nc}, w: cipher.StreamWriter{S: enc, W: nc}}
	c.rd = framing.NewResponseReader(c.r, tr, 0)
	c.wr = framing.NewWriter(c.w, tr, nil)
	return c
}

func (c *dcClient) deadline(t testing.TB, d time.Duration) {
	t.Helper()
	if err := c.nc.SetDeadline(time.Now().Add(d)); err != nil {
		t.Fatal(err)
	}
}

func (c *dcClient) send(t testing.TB, pkt []byte, quickAck bool) {
	t.Helper()
	if err := c.wr.WritePacket(pkt, quickAck); err != nil {
		t.Fatal(err)
	}
}

func (c *dcClient) recv(t testing.TB) (pkt []byte, quickAck bool) {
	t.Helper()
	c.deadline(t, 10*time.Second)
	p, qa, err := c.rd.ReadPacket()
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), p...), qa
}

func randBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
