package config

import "strings"

// splitWords splits s into words the way a POSIX shell splits a command
// line, without any expansion: blanks separate words; 'single quotes' keep
// everything literally; "double quotes" keep everything but \" \\ \$ \`
// and backslash-newline; a backslash outside quotes keeps the next
// character literally. ARGS was expanded unquoted by the seed's script
// ($ARGS), so plain words behave the same, and quotes now let a value hold
// blanks. A small splitter is used rather than a dependency: this is the
// whole grammar needed, and it is fuzzed.
func splitWords(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // inside a word (possibly an empty quoted one)
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, invalid("has an unterminated ' quote")
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			in = true
		case c == '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					switch s[j+1] {
					case '"', '\\', '$', '`':
						cur.WriteByte(s[j+1])
						j++
						continue
					case '\n':
						j++
						continue
					}
				}
				cur.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, invalid(`has an unterminated " quote`)
			}
			i = j
			in = true
		case c == '\\':
			if i+1 >= len(s) {
				return nil, invalid("ends with a lone backslash")
			}
			i++
			if s[i] != '\n' {
				cur.WriteByte(s[i])
				in = true
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}
