package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/mtproxy/mtproxy/internal/atomicfile"
)

// maxSecretFile bounds what is read from SECRET_FILE: 16 secrets in the
// dd form with separators fit in well under 1 KiB.
const maxSecretFile = 4096

// readSecretFile reads SECRET_FILE: secrets separated by commas or blanks
// (the seed wrote "hex,hex\n"). It returns fs.ErrNotExist when there is no
// file, a plain error when it cannot be read, and an *Error (ErrSecretFile)
// when it exists but is not a valid list: a user's secrets are never
// replaced silently.
func readSecretFile(path string) ([][16]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return nil, err
	}
	corrupt := func(why string) error {
		return &Error{Var: "SECRET_FILE", Problem: fmt.Sprintf("%s %s; fix the file or delete it to generate new secrets (it is never replaced automatically)", path, why), Example: "a file holding 00baadf00d15abad1deaa515baadcafe", Err: ErrSecretFile}
	}
	if len(data) > maxSecretFile {
		return nil, corrupt(fmt.Sprintf("is larger than %d bytes", maxSecretFile))
	}
	items := strings.FieldsFunc(string(data), func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	if len(items) == 0 {
		return nil, corrupt("holds no secret")
	}
	if len(items) > MaxSecrets {
		return nil, corrupt(fmt.Sprintf("holds %d secrets, more than %d", len(items), MaxSecrets))
	}
	keys := make([][16]byte, len(items))
	for i, item := range items {
		if keys[i], err = parseSecret(item, i+1); err != nil {
			return nil, corrupt("is not valid: " + err.Error())
		}
	}
	if i, j, dup := duplicate(keys); dup {
		return nil, corrupt(fmt.Sprintf("is not valid: secret %d repeats secret %d", j+1, i+1))
	}
	return keys, nil
}

// writeSecretFile writes keys atomically (mode 0600).
func writeSecretFile(path string, keys [][16]byte) error {
	hexes := make([]string, len(keys))
	for i, k := range keys {
		hexes[i] = hex.EncodeToString(k[:])
	}
	return atomicfile.Write(path, []byte(strings.Join(hexes, ",")+"\n"), 0o600)
}

// generate reads n random secrets from rand.
func generate(rand io.Reader, n int) ([][16]byte, error) {
	keys := make([][16]byte, n)
	for i := range keys {
		if _, err := io.ReadFull(rand, keys[i][:]); err != nil {
			return nil, fmt.Errorf("config: generating secrets: %w", err)
		}
	}
	return keys, nil
}

// duplicate finds the first pair of equal keys.
func duplicate(keys [][16]byte) (int, int, bool) {
	for j := range keys {
		for i := 0; i < j; i++ {
			if keys[i] == keys[j] {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

// resolveSecrets applies the seed's priority: SECRET, else a valid
// SECRET_FILE, else SECRET_COUNT generated secrets saved to SECRET_FILE.
func (l *loader) resolveSecrets(c *Config) error {
	c.SecretFile = l.v.SecretFile.s
	c.SecretCount = l.v.SecretCount.n
	keys := l.v.Secret.items
	switch {
	case len(keys) > 0:
		c.SecretSource = SecretsFromEnv
		if i, j, dup := duplicate(keys); dup {
			return newError("SECRET", fmt.Sprintf("secret %d repeats secret %d", j+1, i+1), "SECRET=00baadf00d15abad1deaa515baadcafe,3f40462915a3e6026a4d790127b95ded", ErrInvalid)
		}
	default:
		var err error
		keys, err = readSecretFile(c.SecretFile)
		switch {
		case err == nil:
			c.SecretSource = SecretsFromFile
		case errors.As(err, new(*Error)):
			return err
		default:
			c.SecretSource = SecretsGenerated
			var gerr error
			if keys, gerr = generate(l.rand, c.SecretCount); gerr != nil {
				return gerr
			}
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
				// Never written over: it may hold the user's secrets.
				l.warn(fmt.Sprintf("SECRET_FILE %s cannot be read (%s); the generated secrets are used for this run only and will change on restart", c.SecretFile, cause(err)))
				break
			}
			if werr := writeSecretFile(c.SecretFile, keys); werr != nil {
				l.warn(fmt.Sprintf("SECRET_FILE %s cannot be written (%s); the generated secrets are used for this run only and will change on restart", c.SecretFile, cause(werr)))
				break
			}
			c.SecretFileSaved = true
		}
	}
	names := l.v.SecretNames.items
	if len(names) > len(keys) {
		return newError("SECRET_NAMES", fmt.Sprintf("has %d names for %d secrets", len(names), len(keys)), "SECRET_NAMES=alice,bob with two secrets", ErrConflict)
	}
	for j := range names {
		for i := 0; i < j; i++ {
			if names[i] == names[j] {
				return newError("SECRET_NAMES", fmt.Sprintf("name %d repeats name %d (%s)", j+1, i+1, quote(names[j])), "SECRET_NAMES=alice,bob", ErrInvalid)
			}
		}
	}
	c.Secrets = make([]Secret, len(keys))
	for i, k := range keys {
		c.Secrets[i].Key = k
		if i < len(names) {
			c.Secrets[i].Name = names[i]
		}
	}
	return nil
}

// cause is an I/O error without the path it names (the message names it).
func cause(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
