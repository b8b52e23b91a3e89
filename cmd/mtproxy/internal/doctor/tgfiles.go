package doctor

import (
	"errors"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mtproxy/mtproxy/proxy/middle"
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

// download fetches one file with the proxy's own download
// (middle.Fetch), keeping the HTTP facts for the report.
func (s *session) download(u string, limit int) download {
	ctx, cancel := s.timeout(s.ctx)
	defer cancel()
	got, err := middle.Fetch(ctx, s.o.HTTPClient, u, limit, s.o.Now)
	d := download{url: u, body: got.Body, status: got.Status, date: got.Date, sent: got.Sent, received: got.Received}
	if err != nil {
		d.err = fetchErr(err)
	}
	if !got.Sent.IsZero() {
		d.took = s.o.Now().Sub(got.Sent)
	}
	return d
}

// fetchErr words a failed download without the package prefix: the
// transport's own error, or what was wrong with the response.
func fetchErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return errors.New(strings.TrimPrefix(err.Error(), middle.ErrFetch.Error()+": "))
}

// readCacheFile reads one cache file with the proxy's own reader
// (middle.ReadCache), and when it was written.
func readCacheFile(path string, limit int) cacheFile {
	c := cacheFile{path: path}
	if path == "" {
		c.err = errors.New("not configured")
		return c
	}
	b, err := middle.ReadCache(path, limit)
	if err != nil {
		c.err = pathless(err)
		return c
	}
	c.body = b
	if st, err := os.Stat(path); err == nil {
		c.modTime = st.ModTime()
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
