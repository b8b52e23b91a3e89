package webproxy_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/mtproxy/mtproxy/proxy/webproxy"
	"github.com/mtproxy/mtproxy/proxy/webproxy/wire"
	"github.com/mtproxy/mtproxy/testkit/client"
	"github.com/mtproxy/mtproxy/testkit/fakedc"
	"github.com/mtproxy/mtproxy/testkit/headless"
	"github.com/mtproxy/mtproxy/testkit/webclient"
)

// standIn plays the object the Telegram app injects into its WebView: the
// page's messages go to the test through the goApp binding (strings as
// they are, ArrayBuffers in base64), and __deliver hands the test's
// messages to the page's listeners.
const standIn = `(() => {
  const listeners = [];
  const toB64 = (buf) => { const u = new Uint8Array(buf); let s = ""; for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]); return btoa(s); };
  window.TelegramWebProxy = {
    postMessage(m) { goApp(JSON.stringify(typeof m === "string" ? {s: m} : {b: toB64(m)})); },
    addEventListener(type, fn) { if (type === "message") listeners.push(fn); },
  };
  window.__deliver = (kind, data) => {
    let d = data;
    if (kind === "b") { const s = atob(data); const u = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i); d = u.buffer; }
    listeners.forEach((fn) => fn({data: d}));
  };
})();`

// pageMsg is one message of the page to the app.
type pageMsg struct {
	S string `json:"s"`
	B []byte `json:"b"` // base64 in JSON
}

// app is the test's side of the stand-in: the Telegram app.
type app struct {
	b *headless.Browser
}

func (a app) next(ctx context.Context) (pageMsg, error) {
	ev, err := a.b.Event(ctx, "Runtime.bindingCalled")
	if err != nil {
		return pageMsg{}, err
	}
	var p struct{ Payload string }
	if err := json.Unmarshal(ev.Params, &p); err != nil {
		return pageMsg{}, err
	}
	var m pageMsg
	return m, json.Unmarshal([]byte(p.Payload), &m)
}

// nextFrame skips status messages to the next binary one.
func (a app) nextFrame(ctx context.Context) ([]byte, error) {
	for {
		m, err := a.next(ctx)
		if err != nil {
			return nil, err
		}
		if m.B != nil {
			return m.B, nil
		}
		if strings.Contains(m.S, `"failed"`) {
			return nil, fmt.Errorf("the page failed: %s", m.S)
		}
	}
}

func (a app) deliver(ctx context.Context, kind, data string) error {
	arg, _ := json.Marshal(data)
	return a.b.Evaluate(ctx, `__deliver("`+kind+`", `+string(arg)+`)`, nil)
}

// pageTransport carries the session's frames through the real page: one
// frame per message each way, as the app and the page exchange them.
type pageTransport struct{ a app }

func (t pageTransport) Send(ctx context.Context, batch []byte) error {
	var js strings.Builder
	for len(batch) > 0 {
		_, n, err := wire.Parse(batch, wire.FromClient)
		if err != nil {
			return err
		}
		fmt.Fprintf(&js, "__deliver(\"b\", %q);", base64.StdEncoding.EncodeToString(batch[:n]))
		batch = batch[n:]
	}
	return t.a.b.Evaluate(ctx, js.String(), nil)
}

func (t pageTransport) Recv(ctx context.Context) ([]byte, error) { return t.a.nextFrame(ctx) }

func (t pageTransport) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*1e9)
	defer cancel()
	return t.a.deliver(ctx, "s", `{"t":"close"}`)
}

// The real bridge page in headless Chromium, behind a TLS terminator,
// with the stand-in app: init, HELLO, WELCOME, then OPEN and DATA carrying
// a real obfuscated2 conversation to the fake DC, in both carrier modes.
func TestBridgePageInChromium(t *testing.T) {
	for _, mode := range []webproxy.Mode{webproxy.ModeHTTPS, webproxy.ModeWebSocket} {
		t.Run(mode.String(), func(t *testing.T) {
			r := newRig(t, rigOpts{options: func(o *webproxy.Options) { o.Mode = mode }})
			backend, _ := url.Parse(r.srv.URL)
			tls := httptest.NewTLSServer(httputil.NewSingleHostReverseProxy(backend))
			t.Cleanup(tls.Close)
			port := tls.Listener.Addr().(interface{ String() string }).String()
			port = port[strings.LastIndex(port, ":")+1:]
			b := headless.Start(t, "--ignore-certificate-errors", "--host-resolver-rules=MAP "+testHost+" 127.0.0.1")
			ctx := ctxT(t)
			for _, c := range []struct {
				method string
				params any
			}{
				{"Runtime.enable", nil},
				{"Page.enable", nil},
				{"Runtime.addBinding", map[string]any{"name": "goApp"}},
				{"Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": standIn}},
			} {
				if err := b.Call(ctx, c.method, c.params, nil); err != nil {
					t.Fatal(err)
				}
			}
			var nonce [32]byte
			_, _ = rand.Read(nonce[:])
			androidNonce := base64.RawURLEncoding.EncodeToString(nonce[:])
			o := r.client(0, wire.DD)
			o.URL = "https://" + testHost + ":" + port
			page := webclient.PageURL(o) + "#android=" + androidNonce
			if err := b.Call(ctx, "Page.navigate", map[string]any{"url": page}, nil); err != nil {
				t.Fatal(err)
			}
			a := app{b}
			m, err := a.next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var init struct {
				T     string `json:"t"`
				V     int    `json:"v"`
				Nonce string `json:"nonce"`
			}
			if err := json.Unmarshal([]byte(m.S), &init); err != nil || init.T != "tproxy-android-init" || init.V != 1 || init.Nonce != androidNonce {
				t.Fatalf("init message %q (%v)", m.S, err)
			}
			var href string
			if err := b.Evaluate(ctx, "location.href", &href); err != nil || href != o.URL+"/" {
				t.Errorf("the page kept its query or fragment: %q (%v)", href, err)
			}
			if err := a.deliver(ctx, "b", base64.StdEncoding.EncodeToString(wire.Hello())); err != nil {
				t.Fatal(err)
			}
			welcome, err := a.nextFrame(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(welcome, wire.Welcome()) {
				t.Fatalf("first binary message %x, want WELCOME", welcome)
			}
			mux := webclient.NewMux(pageTransport{a})
			t.Cleanup(func() { _ = mux.Close() })
			st, err := mux.Open()
			if err != nil {
				t.Fatal(err)
			}
			cl, err := client.Over(ctx, st, client.Options{Secret: r.keys[0], Mode: client.Padded, DC: 2})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cl.ReqPQ(ctx); err != nil {
				t.Fatalf("req_pq through the page: %v (mux: %v)", err, mux.Err())
			}
			for i := range 4 {
				p := packetOf(i, 64<<10)
				if err := cl.WritePacket(p, false); err != nil {
					t.Fatal(err)
				}
				got, err := cl.ReadPacket()
				if err != nil || !bytes.Equal(got.Data, p) {
					t.Fatalf("echo %d through the page: %v", i, err)
				}
			}
			if _, err := r.dc.WaitStats(ctx, func(s fakedc.Stats) bool { return s.ReqPQ == 1 && s.Echoed == 4 }); err != nil {
				t.Fatal(err)
			}
			// The app's close makes the page end the session.
			if err := mux.Close(); err != nil {
				t.Errorf("the app's close: %v", err)
			}
			eventually(t, "the page's DELETE", func() bool { return r.carrier.Sessions() == 0 })
		})
	}
}
