// Package redisserver runs a real redis-server (Debian's package) for the
// shared-state tests: on a free loopback port, with no persistence, in a
// temporary directory, optionally with a password and TLS. A test can kill
// it, freeze it (SIGSTOP: connections stay open and nothing answers, the
// "slow" store) and start it again, empty, on the same port.
//
// When redis-server is not installed the test is skipped, unless CI=true or
// MTPROXY_REQUIRE_TOOLS=1, when it fails (.ci/test.sh installs it).
package redisserver

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mtproxy/mtproxy/testkit/freeport"
	"github.com/mtproxy/mtproxy/testkit/tlsfront"
)

// Options configure a server.
type Options struct {
	// Password, if set, is required of clients (requirepass).
	Password string
	// TLS serves TLS only, with a generated certificate for 127.0.0.1
	// (see Server.CAPEM); clients are not asked for certificates.
	TLS bool
}

// Server is one redis-server process, restartable on its port.
type Server struct {
	t    testing.TB
	o    Options
	bin  string
	dir  string
	port int
	ca   []byte

	mu  sync.Mutex
	cmd *exec.Cmd
}

// startTimeout bounds how long a start may take on a loaded machine.
const startTimeout = 30 * time.Second

// Start runs a server for the test; it is killed at the test's end.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	bin := lookup(t)
	s := &Server{t: t, o: o, bin: bin, dir: t.TempDir()}
	if o.TLS {
		if err := s.writeCert(); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	for range 5 { // a free port may be taken before the server binds it
		if s.port, err = freeport.Get(); err != nil {
			t.Fatal(err)
		}
		if err = s.start(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("redisserver: %v", err)
	}
	t.Cleanup(s.Kill)
	return s
}

func lookup(t testing.TB) string {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	msg := "redis-server not found (Debian package redis-server)"
	if os.Getenv("CI") == "true" || os.Getenv("MTPROXY_REQUIRE_TOOLS") == "1" {
		t.Fatal(msg + "; required because CI=true or MTPROXY_REQUIRE_TOOLS=1")
	}
	t.Skip(msg)
	return ""
}

// Addr returns host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL returns the STATE_URL of the server: redis:// or rediss://, with the
// password when there is one.
func (s *Server) URL() string {
	scheme := "redis"
	if s.o.TLS {
		scheme = "rediss"
	}
	auth := ""
	if s.o.Password != "" {
		auth = ":" + s.o.Password + "@"
	}
	return scheme + "://" + auth + s.Addr()
}

// CAPEM returns the PEM certificate a TLS server presents (its own root).
func (s *Server) CAPEM() []byte { return s.ca }

// CAFile returns the path of CAPEM on disk.
func (s *Server) CAFile() string { return filepath.Join(s.dir, "ca.pem") }

func (s *Server) args() []string {
	a := []string{"--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", s.dir,
		"--daemonize", "no", "--logfile", filepath.Join(s.dir, "redis.log")}
	if s.o.Password != "" {
		a = append(a, "--requirepass", s.o.Password)
	}
	port := strconv.Itoa(s.port)
	if s.o.TLS {
		a = append(a, "--port", "0", "--tls-port", port, "--tls-cert-file", s.CAFile(),
			"--tls-key-file", filepath.Join(s.dir, "key.pem"), "--tls-ca-cert-file", s.CAFile(),
			"--tls-auth-clients", "no")
	} else {
		a = append(a, "--port", port)
	}
	return a
}

// start runs the process and waits until it answers PING.
func (s *Server) start() error {
	cmd := exec.Command(s.bin, s.args()...)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(startTimeout)
	for {
		if err := s.ping(time.Second); err == nil {
			s.mu.Lock()
			s.cmd = cmd
			s.mu.Unlock()
			go func() { <-exited }() // reaped by Wait above
			return nil
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			return fmt.Errorf("redis-server exited (%v): %s", err, lastLines(string(log), 5))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return errors.New("redis-server did not answer PING within " + startTimeout.String())
		}
	}
}

// Kill stops the server at once (SIGKILL); its data is gone.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGCONT) // a frozen process dies too
	_ = cmd.Process.Kill()
	// Wait until the port is free again, so that Restart can bind it.
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
}

// Restart starts a new, empty server on the same port.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	var err error
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond) // the port may linger a moment
	}
	s.t.Fatalf("redisserver: restart: %v", err)
}

// Freeze stops the process (SIGSTOP): connections stay open, nothing is
// answered, new connections are not accepted. Thaw resumes it.
func (s *Server) Freeze() { s.signal(syscall.SIGSTOP) }

// Thaw resumes a frozen server.
func (s *Server) Thaw() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}

// ping sends PING (after AUTH) and waits for PONG.
func (s *Server) ping(timeout time.Duration) error {
	var c net.Conn
	var err error
	d := &net.Dialer{Timeout: timeout}
	if s.o.TLS {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(s.ca)
		c, err = tls.DialWithDialer(d, "tcp", s.Addr(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	} else {
		c, err = d.Dial("tcp", s.Addr())
	}
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	r := bufio.NewReader(c)
	if s.o.Password != "" {
		if _, err := fmt.Fprintf(c, "AUTH %s\r\n", s.o.Password); err != nil {
			return err
		}
		if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "+OK") {
			return fmt.Errorf("AUTH: %q %v", line, err)
		}
	}
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// writeCert writes a self-signed certificate for 127.0.0.1 (ca.pem, also
// the server's certificate) and its key (key.pem).
func (s *Server) writeCert() error {
	c, err := tlsfront.SelfSigned("127.0.0.1")
	if err != nil {
		return err
	}
	key, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return err
	}
	s.ca = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]})
	if err := os.WriteFile(s.CAFile(), s.ca, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600)
}
