package faketls

import (
	"encoding/binary"
	"fmt"
	"io"
)

// ServerHello extensions, in the order Telegram's official proxy writes
// them: key_share x25519 (its 32-byte key follows), then supported_versions
// TLS 1.3.
const (
	serverKeyShareHead   = "\x00\x33\x00\x24\x00\x1d\x00\x20"
	serverSupportedVers  = "\x00\x2b\x00\x02\x03\x04"
	serverExtensionsLen  = len(serverKeyShareHead) + x25519Len + len(serverSupportedVers) // 0x2e
	serverHelloFixedBody = 2 + randomLen + 1 + 2 + 1 + 2 + serverExtensionsLen            // without the session id
	ccsRecordLen         = RecordHeaderLen + 1
)

// ServerFlight returns the server's first flight for an authenticated
// hello, exactly three records:
//
//	16 03 03 00 7a  02 00 00 76  03 03  server_random[32]  20 session_id[32]
//	    suite[2]  00  00 2e  00 33 00 24 00 1d 00 20 key[32]  00 2b 00 02 03 04
//	14 03 03 00 01 01
//	17 03 03 <appDataLen>  random[appDataLen]
//
// The suite is hello.CipherSuite (0x1301 when 0), the session id is echoed
// (the lengths shown are for the 32-byte ids Telegram clients send; other
// lengths shift them), the key is a genuine X25519 public key so it is no
// statistical tell, and server_random = HMAC-SHA256(secret, client_random ||
// the flight with server_random zeroed), which Telegram clients check. The
// application-data record stands in for the encrypted certificate chain:
// choose appDataLen like one (peers use 1024..4700); it must be in
// [1, MaxRecordPayload].
//
// rand supplies the key and the record's bytes; its errors are returned.
func ServerFlight(rand io.Reader, secret [16]byte, hello *ClientHello, appDataLen int) ([]byte, error) {
	if appDataLen < 1 || appDataLen > MaxRecordPayload {
		return nil, fmt.Errorf("%w: application data of %d bytes", ErrBadLength, appDataLen)
	}
	if len(hello.SessionID) > maxSessionIDLen {
		return nil, fmt.Errorf("%w: session id of %d bytes", ErrBadHello, len(hello.SessionID))
	}
	suite := hello.CipherSuite
	if suite == 0 {
		suite = suiteTLS13Low
	}
	key, err := x25519PublicKey(rand)
	if err != nil {
		return nil, err
	}
	bodyLen := serverHelloFixedBody + len(hello.SessionID)
	f := make([]byte, 0, RecordHeaderLen+handshakeHeaderLen+bodyLen+ccsRecordLen+RecordHeaderLen+appDataLen)

	f = append(f, TypeHandshake, 3, 3)
	f = binary.BigEndian.AppendUint16(f, uint16(handshakeHeaderLen+bodyLen))
	f = append(f, typeServerHello, 0, byte(bodyLen>>8), byte(bodyLen))
	f = append(f, 3, 3)
	f = append(f, make([]byte, randomLen)...) // server_random, filled in last
	f = append(f, byte(len(hello.SessionID)))
	f = append(f, hello.SessionID...)
	f = binary.BigEndian.AppendUint16(f, suite)
	f = append(f, 0) // compression: null
	f = binary.BigEndian.AppendUint16(f, uint16(serverExtensionsLen))
	f = append(f, serverKeyShareHead...)
	f = append(f, key[:]...)
	f = append(f, serverSupportedVers...)

	f = AppendChangeCipherSpec(f)

	f = append(f, TypeApplicationData, 3, 3)
	f = binary.BigEndian.AppendUint16(f, uint16(appDataLen))
	n := len(f)
	f = f[:n+appDataLen]
	if _, err := io.ReadFull(rand, f[n:]); err != nil {
		return nil, err
	}

	m := newMAC()
	m.reset(&secret)
	m.write(hello.Random[:])
	m.write(f)
	copy(f[randomOffset:randomOffset+randomLen], m.finish()[:])
	return f, nil
}
