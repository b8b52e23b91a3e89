package proxy

import (
	"crypto/subtle"
	"errors"
	"net/netip"

	"github.com/mtproxy/mtproxy/proxy/faketls"
	"github.com/mtproxy/mtproxy/proxy/obfuscated2"
)

// keyring is the set of keys one handshake tries: the static secrets, or a
// snapshot of Options.Users, with the index of the key to try first (-1:
// none). Indexes are the whole set's; base is the index of keys[0] (not 0
// when the ring was narrowed to a carried stream's one key).
type keyring struct {
	keys  [][16]byte
	snap  KeySnapshot
	first int
	base  int
}

// keyring returns the keys for a client at remote: with Options.Users,
// the current snapshot and the key its address used last.
func (p *Proxy) keyring(remote netip.Addr) keyring {
	if p.o.Users == nil {
		return keyring{keys: p.keys, first: -1}
	}
	snap, first := p.o.Users.Keys(remote)
	return keyring{keys: snap.Keys(), snap: snap, first: first}
}

// index finds key in k, comparing every key so the time taken tells
// nothing; -1 when it is not there.
func (k *keyring) index(key [16]byte) int {
	idx := -1
	for i := range k.keys {
		if subtle.ConstantTimeCompare(k.keys[i][:], key[:]) == 1 {
			idx = k.base + i
		}
	}
	return idx
}

// only narrows k to the key of index i.
func (k *keyring) only(i int) keyring {
	return keyring{keys: k.one(i), snap: k.snap, first: -1, base: i}
}

// one returns the key of index i as a one-key slice of k.keys.
func (k *keyring) one(i int) [][16]byte { return k.keys[i-k.base : i-k.base+1] }

// hinted returns the hinted key as a one-key slice, or nil.
func (k *keyring) hinted() [][16]byte {
	if f := k.first - k.base; k.first >= 0 && f >= 0 && f < len(k.keys) {
		return k.keys[f : f+1]
	}
	return nil
}

// accept tries a returning client's key first, then every key.
func (k *keyring) accept(hdr *[obfuscated2.HeaderLen]byte) (obfuscated2.Accepted, error) {
	if one := k.hinted(); one != nil {
		if acc, err := obfuscated2.Accept(hdr, one); err == nil {
			acc.SecretIndex = k.first
			return acc, nil
		}
	}
	acc, err := obfuscated2.Accept(hdr, k.keys)
	acc.SecretIndex += k.base
	return acc, err
}

// verify tries a returning client's key first, then every key.
func (k *keyring) verify(record []byte) (int, uint32, error) {
	if one := k.hinted(); one != nil {
		if _, ts, err := faketls.Verify(record, one); err == nil {
			return k.first, ts, nil
		}
	}
	i, ts, err := faketls.Verify(record, k.keys)
	return i + k.base, ts, err
}

// errUserRefused is the cause logged for HandshakeUserRefused.
var errUserRefused = errors.New("the user may not connect now")

// admitUser asks Options.Users whether the user of key i may connect;
// with static secrets everyone may, and h.secret is the secret's index.
func (p *Proxy) admitUser(h *handshake, k *keyring, i int, remote netip.Addr) bool {
	if k.snap == nil {
		h.secret = i
		return true
	}
	lease, ok := p.o.Users.Admit(k.snap, i, remote)
	if !ok {
		return false
	}
	h.secret, h.user, h.lease = -1, k.snap.Name(i), lease
	return true
}
