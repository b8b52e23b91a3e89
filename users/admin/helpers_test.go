package admin

import (
	"encoding/json"
	"image"
	"image/color"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mtproxy/mtproxy/users"
	goqr "github.com/piglig/go-qr"
)

const testToken = "test-token-0123456789"

type fixture struct {
	t    *testing.T
	srv  *httptest.Server
	reg  *users.Registry
	mgr  *users.Manager
	path string
}

func newFixture(t *testing.T, o Options) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.toml")
	reg := users.New(users.Options{})
	mgr := users.NewManager(reg, path, []users.Spec{{Name: "env", Key: [16]byte{9, 9, 9}, Enabled: true}}, nil)
	if err := mgr.Load(); err != nil {
		t.Fatal(err)
	}
	o.Manager, o.Registry = mgr, reg
	if o.Token == "" {
		o.Token = testToken
	}
	if o.Host == "" {
		o.Host, o.Port = "203.0.113.7", 443
	}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &fixture{t: t, srv: srv, reg: reg, mgr: mgr, path: path}
}

// call makes an API request with the token and returns the status and body.
func (f *fixture) call(method, path, body string) (int, string) {
	return f.callAs(testToken, method, path, body)
}

func (f *fixture) callAs(token, method, path, body string) (int, string) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v in %s", err, s)
	}
	return v
}

var svgModule = regexp.MustCompile(`M(\d+),(\d+)h1v1h-1z`)

// decodeSVG rasterises a QR code SVG of this package (one unit per module)
// and decodes it.
func decodeSVG(t *testing.T, svg string) string {
	t.Helper()
	m := regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`).FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("no viewBox in %.100s", svg)
	}
	dim, _ := strconv.Atoi(m[1])
	const px = 6
	img := image.NewGray(image.Rect(0, 0, dim*px, dim*px))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for _, mod := range svgModule.FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.Atoi(mod[1])
		y, _ := strconv.Atoi(mod[2])
		for dy := 0; dy < px; dy++ {
			for dx := 0; dx < px; dx++ {
				img.Set(x*px+dx, y*px+dy, color.Black)
			}
		}
	}
	text, err := goqr.Decode(img)
	if err != nil {
		t.Fatalf("decoding the QR code: %v", err)
	}
	return text
}
