package doctor

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/proxy/tgconfig"
)

// maxSecretDownload bounds a getProxySecret download: the file is 128
// bytes and rpc accepts at most 256; a few KiB identify an HTML page.
const maxSecretDownload = 4 << 10

// download is one fetched Telegram file and the HTTP facts of it.
type download struct {
	url      string
	body     []byte
	err      error
	status   int
	date     string    // the Date header
	sent     time.Time // before the request, by our clock
	received time.Time // when the headers arrived
	took     time.Duration
}

// answered: an HTTP response arrived (whatever its status).
func (d download) answered() bool { return d.status != 0 }

// host names the server, for reports.
func (d download) host() string {
	if u, err := url.Parse(d.url); err == nil && u.Host != "" {
		return u.Host
	}
	return d.url
}

// cacheFile is one of the proxy's cache files.
type cacheFile struct {
	path    string
	body    []byte
	modTime time.Time
	err     error // os.ErrNotExist when absent
}

// tgFiles are Telegram's two files, downloaded and cached.
type tgFiles struct {
	secret, config           download
	secretCache, configCache cacheFile
}

// fetchFiles downloads both files concurrently and reads both caches.
// Nothing is written.
func (s *session) fetchFiles() tgFiles {
	var f tgFiles
	var wg sync.WaitGroup
	wg.Go(func() { f.secret = s.download(s.cfg.ProxySecretURL, maxSecretDownload) })
	wg.Go(func() { f.config = s.download(s.cfg.ProxyConfigURL, tgconfig.MaxSize) })
	f.secretCache = readCacheFile(s.cfg.ProxySecretFile, maxSecretDownload)
	f.configCache = readCacheFile(s.cfg.ProxyConfigFile, tgconfig.MaxSize)
	wg.Wait()
	return f
}

func (s *session) download(u string, limit int) download {
	d := download{url: u}
	ctx, cancel := s.timeout(s.ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		d.err = err
		return d
	}
	d.sent = s.o.Now()
	resp, err := s.o.HTTPClient.Do(req)
	if err != nil {
		d.err = httpErr(err)
		d.took = s.o.Now().Sub(d.sent)
		return d
	}
	defer resp.Body.Close()
	d.received, d.status, d.date = s.o.Now(), resp.StatusCode, resp.Header.Get("Date")
	if resp.StatusCode != http.StatusOK {
		d.err = fmt.Errorf("HTTP %s", resp.Status)
	} else if d.body, err = io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1)); err != nil {
		d.err, d.body = fmt.Errorf("reading the body: %w", err), nil
	} else if len(d.body) > limit {
		d.err, d.body = fmt.Errorf("larger than %d bytes", limit), nil
	}
	d.took = s.o.Now().Sub(d.sent)
	return d
}

func readCacheFile(path string, limit int) cacheFile {
	c := cacheFile{path: path}
	if path == "" {
		c.err = errors.New("not configured")
		return c
	}
	f, err := os.Open(path)
	if err != nil {
		c.err = pathless(err)
		return c
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		c.modTime = st.ModTime()
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	switch {
	case err != nil:
		c.err = pathless(err)
	case len(b) > limit:
		c.err = fmt.Errorf("larger than %d bytes", limit)
	default:
		c.body = b
	}
	return c
}

// pathless drops the path an *os.PathError repeats.
func pathless(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
