package headless

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Binary is the browser run: Debian's chromium.
const Binary = "chromium"

// Browser is a running chromium and a DevTools session on its first page.
type Browser struct {
	t    testing.TB
	cmd  *exec.Cmd
	port string // the DevTools port
	ws   *websocket.Conn

	mu      sync.Mutex
	next    int64
	waiting map[int64]chan reply
	events  []Event
	evSig   chan struct{}
	err     error
}

// Event is a DevTools event.
type Event struct {
	Method string
	Params json.RawMessage
}

type reply struct {
	Result json.RawMessage
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
}

// Start launches chromium with extra flags and opens a DevTools session on
// its page; everything is stopped when the test ends. The test is skipped
// when chromium is not installed.
func Start(t testing.TB, flags ...string) *Browser {
	t.Helper()
	bin, err := exec.LookPath(Binary)
	if err != nil {
		t.Skipf("%s is not installed (apt-get install chromium): %v", Binary, err)
	}
	dir := t.TempDir()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + dir, "--remote-debugging-port=0",
	}, flags...)
	args = append(args, "about:blank")
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	port, err := waitPort(filepath.Join(dir, "DevToolsActivePort"), 60*time.Second)
	if err != nil {
		t.Fatalf("%s did not open its DevTools port: %v\n%s", bin, err, stderr.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url, err := pageTarget(ctx, port, http.MethodGet, "/json/list")
	if err != nil {
		t.Fatal(err)
	}
	return attach(t, cmd, port, url)
}

// NewTab opens another tab of the same browser (same profile: cookies
// are shared) and a DevTools session on it; it closes with the test.
func (b *Browser) NewTab() *Browser {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url, err := pageTarget(ctx, b.port, http.MethodPut, "/json/new?about:blank")
	if err != nil {
		b.t.Fatalf("a new tab: %v", err)
	}
	return attach(b.t, b.cmd, b.port, url)
}

// attach opens a DevTools session on the page target at url.
func attach(t testing.TB, cmd *exec.Cmd, port, url string) *Browser {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := &Browser{t: t, cmd: cmd, port: port, waiting: map[int64]chan reply{}, evSig: make(chan struct{}, 1)}
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("DevTools: %v", err)
	}
	b.ws = ws
	t.Cleanup(func() { _ = ws.CloseNow() })
	b.ws.SetReadLimit(64 << 20)
	go b.read()
	return b
}

// waitPort waits for chromium to write its DevTools port.
func waitPort(path string, within time.Duration) (string, error) {
	deadline := time.Now().Add(within)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			if port, _, ok := strings.Cut(string(b), "\n"); ok && port != "" {
				return port, nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no %s: %v", path, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pageTarget returns the DevTools URL of the browser's first page
// (GET /json/list) or of a new one (PUT /json/new).
func pageTarget(ctx context.Context, port, method, path string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, method, "http://127.0.0.1:"+port+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	type target struct {
		Type string `json:"type"`
		URL  string `json:"webSocketDebuggerUrl"`
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	var targets []target
	if method == http.MethodPut { // one target
		targets = make([]target, 1)
		err = json.Unmarshal(body, &targets[0])
	} else {
		err = json.Unmarshal(body, &targets)
	}
	if err != nil {
		return "", fmt.Errorf("headless: %s %s: %v", method, path, err)
	}
	for _, tg := range targets {
		if tg.Type == "page" {
			return tg.URL, nil
		}
	}
	return "", errors.New("headless: no page target")
}

func (b *Browser) read() {
	for {
		_, msg, err := b.ws.Read(context.Background())
		if err != nil {
			b.mu.Lock()
			b.err = err
			for _, ch := range b.waiting {
				close(ch)
			}
			b.waiting = map[int64]chan reply{}
			b.mu.Unlock()
			b.signal()
			return
		}
		var m struct {
			ID     int64           `json:"id"`
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
			reply
		}
		if json.Unmarshal(msg, &m) != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch := b.waiting[m.ID]; ch != nil {
				ch <- m.reply
				delete(b.waiting, m.ID)
			}
		} else {
			b.events = append(b.events, Event{Method: m.Method, Params: m.Params})
		}
		b.mu.Unlock()
		b.signal()
	}
}

func (b *Browser) signal() {
	select {
	case b.evSig <- struct{}{}:
	default:
	}
}

// Call sends a DevTools command and decodes its result into result (nil:
// ignored).
func (b *Browser) Call(ctx context.Context, method string, params, result any) error {
	b.mu.Lock()
	if b.err != nil {
		b.mu.Unlock()
		return b.err
	}
	b.next++
	id := b.next
	ch := make(chan reply, 1)
	b.waiting[id] = ch
	b.mu.Unlock()
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return err
	}
	// Not ctx: the websocket package closes the connection when the
	// context of a write ends, and one caller giving up must not end the
	// session for the others.
	wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err = b.ws.Write(wctx, websocket.MessageText, msg)
	cancel()
	if err != nil {
		return err
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return fmt.Errorf("headless: %s: the browser went away", method)
		}
		if r.Error != nil {
			return fmt.Errorf("headless: %s: %s (%d)", method, r.Error.Message, r.Error.Code)
		}
		if result != nil {
			return json.Unmarshal(r.Result, result)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Event returns the next event of the given method, in arrival order.
func (b *Browser) Event(ctx context.Context, method string) (Event, error) {
	for {
		b.mu.Lock()
		for i, e := range b.events {
			if e.Method == method {
				b.events = append(b.events[:i:i], b.events[i+1:]...)
				b.mu.Unlock()
				return e, nil
			}
		}
		err := b.err
		b.mu.Unlock()
		if err != nil {
			return Event{}, err
		}
		select {
		case <-b.evSig:
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

// Evaluate runs a JavaScript expression in the page and returns its value
// decoded into result (nil: ignored). A thrown exception is an error.
func (b *Browser) Evaluate(ctx context.Context, expr string, result any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := b.Call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r); err != nil {
		return err
	}
	if r.Exception != nil {
		return fmt.Errorf("headless: %s: %s", expr, r.Exception.Text)
	}
	if result != nil && len(r.Result.Value) > 0 {
		return json.Unmarshal(r.Result.Value, result)
	}
	return nil
}
