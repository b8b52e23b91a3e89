package headless

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Events returns the events of a method received so far, without taking
// them (Event takes them one by one).
func (b *Browser) Events(method string) []Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Event
	for _, e := range b.events {
		if e.Method == method {
			out = append(out, e)
		}
	}
	return out
}

// drop forgets the events of the given methods received so far.
func (b *Browser) drop(methods ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = slices.DeleteFunc(b.events, func(e Event) bool { return slices.Contains(methods, e.Method) })
}

// Enable turns on the Page and Network domains (for Load's events) and
// Runtime and Log (console messages, exceptions and network errors, read
// with Events: Runtime.consoleAPICalled, Runtime.exceptionThrown,
// Log.entryAdded).
func (b *Browser) Enable(ctx context.Context) error {
	for _, d := range []string{"Page", "Network", "Runtime", "Log"} {
		if err := b.Call(ctx, d+".enable", map[string]any{}, nil); err != nil {
			return err
		}
	}
	return nil
}

// Load runs action (a navigation, a click on a submit button), waits for
// the page it leads to to load, and returns that document's HTTP status
// (after redirects). Enable must have been called.
func (b *Browser) Load(ctx context.Context, action func() error) (int, error) {
	b.drop("Page.loadEventFired", "Network.responseReceived")
	if err := action(); err != nil {
		return 0, err
	}
	if _, err := b.Event(ctx, "Page.loadEventFired"); err != nil {
		return 0, fmt.Errorf("headless: waiting for the page to load: %w", err)
	}
	status := 0
	for _, e := range b.Events("Network.responseReceived") {
		var p struct {
			Type     string `json:"type"`
			Response struct {
				Status int `json:"status"`
			} `json:"response"`
		}
		if json.Unmarshal(e.Params, &p) == nil && p.Type == "Document" {
			status = p.Response.Status
		}
	}
	if status == 0 {
		return 0, fmt.Errorf("headless: the page loaded without a document response")
	}
	return status, nil
}

// Navigate loads url and returns its status.
func (b *Browser) Navigate(ctx context.Context, url string) (int, error) {
	return b.Load(ctx, func() error {
		var r struct {
			ErrorText string `json:"errorText"`
		}
		if err := b.Call(ctx, "Page.navigate", map[string]any{"url": url}, &r); err != nil {
			return err
		}
		if r.ErrorText != "" {
			return fmt.Errorf("headless: navigating to %s: %s", url, r.ErrorText)
		}
		return nil
	})
}

// Submit clicks sel (a form's submit button) and returns the status of
// the page the form's answer leads to.
func (b *Browser) Submit(ctx context.Context, sel string) (int, error) {
	return b.Load(ctx, func() error { return b.Click(ctx, sel) })
}

// element is the JavaScript of the element sel, throwing without one.
func element(sel string) string {
	q, _ := json.Marshal(sel)
	return fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) throw new Error("no element " + %s); return e; })()`, q, q)
}

// Click clicks the element sel.
func (b *Browser) Click(ctx context.Context, sel string) error {
	return b.Evaluate(ctx, element(sel)+".click()", nil)
}

// Type focuses the element sel and inserts text as typed input.
func (b *Browser) Type(ctx context.Context, sel, text string) error {
	if err := b.Evaluate(ctx, element(sel)+".focus()", nil); err != nil {
		return err
	}
	return b.Call(ctx, "Input.insertText", map[string]any{"text": text}, nil)
}

// Text returns the element's text (innerText).
func (b *Browser) Text(ctx context.Context, sel string) (s string, err error) {
	err = b.Evaluate(ctx, element(sel)+".innerText", &s)
	return s, err
}

// Attr returns an attribute of the element sel ("" without it).
func (b *Browser) Attr(ctx context.Context, sel, name string) (s string, err error) {
	q, _ := json.Marshal(name)
	err = b.Evaluate(ctx, element(sel)+".getAttribute("+string(q)+") ?? ''", &s)
	return s, err
}

// OuterHTML returns the element's HTML.
func (b *Browser) OuterHTML(ctx context.Context, sel string) (s string, err error) {
	err = b.Evaluate(ctx, element(sel)+".outerHTML", &s)
	return s, err
}

// WaitVisible waits until the element sel exists and takes room on the
// page, polling until ctx ends.
func (b *Browser) WaitVisible(ctx context.Context, sel string) error {
	q, _ := json.Marshal(sel)
	expr := fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return false; const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; })()`, q)
	for {
		var ok bool
		if err := b.Evaluate(ctx, expr, &ok); err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("headless: %s never visible: %w", sel, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Screenshot returns a PNG of the whole page, beyond the viewport.
func (b *Browser) Screenshot(ctx context.Context) ([]byte, error) {
	var size struct{ W, H float64 }
	if err := b.Evaluate(ctx, `({W: document.documentElement.scrollWidth, H: document.documentElement.scrollHeight})`, &size); err != nil {
		return nil, err
	}
	return b.capture(ctx, size.W, size.H, 0, 0, 1)
}

// ScreenshotElement returns a PNG of the element sel at scale times its
// CSS size.
func (b *Browser) ScreenshotElement(ctx context.Context, sel string, scale float64) ([]byte, error) {
	var r struct{ X, Y, W, H float64 }
	if err := b.Evaluate(ctx, `(() => { const e = `+element(sel)+`; e.scrollIntoView(); const r = e.getBoundingClientRect();
		return {X: r.left + window.scrollX, Y: r.top + window.scrollY, W: r.width, H: r.height}; })()`, &r); err != nil {
		return nil, err
	}
	if r.W <= 0 || r.H <= 0 {
		return nil, fmt.Errorf("headless: %s takes no room", sel)
	}
	return b.capture(ctx, r.W, r.H, r.X, r.Y, scale)
}

func (b *Browser) capture(ctx context.Context, w, h, x, y, scale float64) ([]byte, error) {
	var r struct {
		Data string `json:"data"`
	}
	err := b.Call(ctx, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": x, "y": y, "width": w, "height": h, "scale": scale}}, &r)
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(r.Data)
}

// Cookie is a cookie as the browser keeps it.
type Cookie struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Path     string `json:"path"`
	HTTPOnly bool   `json:"httpOnly"`
	Secure   bool   `json:"secure"`
	SameSite string `json:"sameSite"` // "Strict", "Lax", "None" or ""
}

// Cookies returns the cookies the browser would send to urls.
func (b *Browser) Cookies(ctx context.Context, urls ...string) ([]Cookie, error) {
	var r struct {
		Cookies []Cookie `json:"cookies"`
	}
	err := b.Call(ctx, "Network.getCookies", map[string]any{"urls": urls}, &r)
	return r.Cookies, err
}
