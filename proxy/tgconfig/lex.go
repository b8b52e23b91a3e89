package tgconfig

import "fmt"

type tokKind uint8

const (
	tEOF     tokKind = iota
	tWord            // keyword, number, IPv4 address or host name
	tBracket         // "[...]", an IPv6 address with its brackets
	tColon
	tSemi
)

type token struct {
	kind      tokKind
	text      string
	line, col int
}

// String describes a token for error messages, cutting long text.
func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tColon:
		return `":"`
	case tSemi:
		return `";"`
	}
	s := t.text
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// scanner splits the input into tokens, skipping whitespace and comments.
type scanner struct {
	src       []byte
	pos       int
	line      int // 1-based
	lineStart int // offset of the current line
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '-' || c == '_'
}

func (s *scanner) errorf(line, col int, err error, format string, args ...any) *SyntaxError {
	return &SyntaxError{Line: line, Col: col, Msg: fmt.Sprintf(format, args...), Err: err}
}

func (s *scanner) next() (token, error) {
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		if c == '\n' {
			s.pos++
			s.line++
			s.lineStart = s.pos
		} else if c == ' ' || c == '\t' || c == '\r' {
			s.pos++
		} else if c == '#' {
			for s.pos < len(s.src) && s.src[s.pos] != '\n' {
				s.pos++
			}
		} else {
			break
		}
	}
	t := token{line: s.line, col: s.pos - s.lineStart + 1}
	if s.pos == len(s.src) {
		return t, nil
	}
	start := s.pos
	switch c := s.src[s.pos]; {
	case c == ';':
		t.kind = tSemi
		s.pos++
	case c == ':':
		t.kind = tColon
		s.pos++
	case c == '[':
		s.pos++
		for s.pos < len(s.src) && (isWordByte(s.src[s.pos]) || s.src[s.pos] == ':' || s.src[s.pos] == '%') {
			s.pos++
		}
		if s.pos == len(s.src) || s.src[s.pos] != ']' {
			return t, s.errorf(t.line, t.col, ErrSyntax, `"[" without "]"`)
		}
		s.pos++
		t.kind = tBracket
	case isWordByte(c):
		for s.pos < len(s.src) && isWordByte(s.src[s.pos]) {
			s.pos++
		}
		t.kind = tWord
	default:
		return t, s.errorf(t.line, t.col, ErrSyntax, "unexpected character %q", c)
	}
	t.text = string(s.src[start:s.pos])
	return t, nil
}
