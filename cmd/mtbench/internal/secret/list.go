package secret

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxList bounds the secrets of one list: more than any users file a
// benchmark needs.
const MaxList = 1_000_000

// ErrList means a list of secrets is empty, too long, or mixes kinds or
// FakeTLS domains. Its messages never contain a secret.
var ErrList = errors.New("secret: a list needs 1 to 1000000 secrets, all of one kind and domain")

// ParseList reads secrets one per line, in Parse's forms; blank lines and
// lines starting with # are skipped. All must share the first one's kind
// and FakeTLS domain, as the clients of one run speak one mode. An error
// names the line, never the secret.
func ParseList(r io.Reader) ([]Secret, error) {
	var out []Secret
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := Parse(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if len(out) > 0 && (s.Kind != out[0].Kind || s.Domain != out[0].Domain) {
			return nil, fmt.Errorf("line %d: %w", n, ErrList)
		}
		if len(out) == MaxList {
			return nil, ErrList
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrList
	}
	return out, nil
}
