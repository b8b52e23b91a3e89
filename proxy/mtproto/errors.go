package mtproto

import "errors"

// Errors returned by the parsers. Test them with errors.Is.
var (
	// ErrShort means the input ends before a field it must hold.
	ErrShort = errors.New("mtproto: message truncated")
	// ErrNotPlain means the auth_key_id is not 0: the message is encrypted.
	ErrNotPlain = errors.New("mtproto: not an unencrypted message")
	// ErrBadLength means message_data_length disagrees with the bytes present.
	ErrBadLength = errors.New("mtproto: bad message_data_length")
	// ErrBadMsgID means the msg_id is zero.
	ErrBadMsgID = errors.New("mtproto: bad msg_id")
	// ErrConstructor means the body starts with another constructor than
	// the one expected.
	ErrConstructor = errors.New("mtproto: unexpected constructor")
	// ErrTrailing means bytes are left after the body's last field.
	ErrTrailing = errors.New("mtproto: trailing bytes after the body")
	// ErrBadBytes means a TL bytes field has a malformed length or padding.
	ErrBadBytes = errors.New("mtproto: malformed TL bytes")
	// ErrTooLarge means a field is longer than this package accepts.
	ErrTooLarge = errors.New("mtproto: field too large")
)
