package doctor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/mtproxy/mtproxy/cmd/mtproxy/internal/config"
)

// errWouldGenerate is what refuseRand returns: config.Load wanted random
// bytes, which it only does to generate secrets (and then save them).
var errWouldGenerate = errors.New("doctor: config wanted to generate secrets")

// refuseRand is a random source that cannot be read. config.Load reads
// randomness only to generate missing secrets, before it writes
// SECRET_FILE, so with this source Load fails instead of writing.
type refuseRand struct{}

func (refuseRand) Read([]byte) (int, error) { return 0, errWouldGenerate }

// loaded is the configuration as doctor sees it.
type loaded struct {
	cfg      *config.Config
	warnings []config.Warning
	// noSecret: SECRET is unset and SECRET_FILE holds none, so the proxy
	// would generate cfg.SecretCount secrets at start. cfg.Secrets is nil.
	noSecret bool
	// secretFileErr says why an existing SECRET_FILE cannot be read.
	secretFileErr error
}

// loadConfig loads the configuration like the proxy, without its one side
// effect: where the proxy would generate secrets and save them to
// SECRET_FILE, doctor reports that none is configured yet.
//
// Load is first run with refuseRand. If it wanted to generate, it is run
// again with placeholder secrets prepended on the command line (SECRET is
// a list flag: with no secret given elsewhere they are the only ones), so
// that every other setting is still validated; the placeholders are then
// dropped. Sixteen of them, the maximum, so SECRET_NAMES always fits.
func loadConfig(args []string) (loaded, error) {
	cfg, warns, err := config.Load(args, refuseRand{})
	if err == nil {
		return loaded{cfg: cfg, warnings: warns}, nil
	}
	if !errors.Is(err, errWouldGenerate) {
		return loaded{}, err
	}
	cfg, warns, err = config.Load(append([]string{"--secret=" + placeholderSecrets()}, args...), refuseRand{})
	if err != nil {
		return loaded{}, err
	}
	// With the placeholders every name fits; the proxy's generated
	// secrets number SECRET_COUNT.
	if names := namedSecrets(cfg.Secrets); names > cfg.SecretCount {
		return loaded{}, &config.Error{Var: "SECRET_NAMES", Problem: fmt.Sprintf("has %d names for %d secrets", names, cfg.SecretCount), Example: "SECRET_NAMES=alice,bob with two secrets", Err: config.ErrConflict}
	}
	cfg.Secrets, cfg.SecretSource, cfg.SecretFileSaved = nil, config.SecretsGenerated, false
	l := loaded{cfg: cfg, warnings: warns, noSecret: true}
	// Load treats an unreadable SECRET_FILE like a missing one; tell them
	// apart, as the proxy would warn about the former.
	if f, err := os.Open(cfg.SecretFile); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		l.secretFileErr = err
	}
	return l, nil
}

// placeholderSecrets returns config.MaxSecrets distinct secrets as one
// comma list.
func placeholderSecrets() string {
	s := make([]string, config.MaxSecrets)
	for i := range s {
		s[i] = fmt.Sprintf("%032x", i+1)
	}
	return strings.Join(s, ",")
}

// namedSecrets counts the secrets with a name (names come first).
func namedSecrets(secrets []config.Secret) int {
	n := 0
	for _, s := range secrets {
		if s.Name != "" {
			n++
		}
	}
	return n
}
