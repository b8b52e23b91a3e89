package otlpreceiver

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// TracesPath is the URL path of the OTLP/HTTP traces resource.
const TracesPath = "/v1/traces"

// maxBody bounds a request body, before and after decompression.
const maxBody = 64 << 20

const (
	contentTypeProtobuf = "application/x-protobuf"
	contentTypeJSON     = "application/json"
)

// errBodyTooLarge is returned when a request body exceeds maxBody.
var errBodyTooLarge = errors.New("otlpreceiver: request body too large")

// httpHandler serves POST /v1/traces.
type httpHandler struct{ r *Receiver }

func (h httpHandler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "only POST is allowed", http.StatusMethodNotAllowed)
		return
	}
	mediaType, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || (mediaType != contentTypeProtobuf && mediaType != contentTypeJSON) {
		http.Error(w, "Content-Type must be "+contentTypeProtobuf+" or "+contentTypeJSON, http.StatusUnsupportedMediaType)
		return
	}
	body, encoding, err := readBody(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}

	msg := &coltracepb.ExportTraceServiceRequest{}
	protocol := ProtocolHTTPProtobuf
	if mediaType == contentTypeJSON {
		protocol = ProtocolHTTPJSON
		err = UnmarshalJSON(body, msg)
	} else {
		err = proto.Unmarshal(body, msg)
	}
	if err != nil {
		http.Error(w, "bad OTLP payload: "+err.Error(), http.StatusBadRequest)
		return
	}

	if !h.r.accept(Request{Protocol: protocol, Header: req.Header.Clone(), Encoding: encoding, Traces: msg}) {
		http.Error(w, "export rejected on request", http.StatusServiceUnavailable)
		return
	}
	// An empty ExportTraceServiceResponse: full success.
	w.Header().Set("Content-Type", mediaType)
	w.WriteHeader(http.StatusOK)
	if mediaType == contentTypeJSON {
		io.WriteString(w, "{}") //nolint:errcheck // the client may be gone; nothing to do
	}
}

// readBody reads the whole, possibly gzip-encoded, request body and
// returns it with its encoding ("gzip" or "").
func readBody(req *http.Request) ([]byte, string, error) {
	var src io.Reader = req.Body
	enc := strings.ToLower(strings.TrimSpace(req.Header.Get("Content-Encoding")))
	switch enc {
	case "", "identity":
		enc = ""
	case "gzip":
		zr, err := gzip.NewReader(io.LimitReader(req.Body, maxBody))
		if err != nil {
			return nil, "", fmt.Errorf("bad gzip body: %w", err)
		}
		defer zr.Close()
		src = zr
	default:
		return nil, "", fmt.Errorf("unsupported Content-Encoding %q", enc)
	}
	body, err := io.ReadAll(io.LimitReader(src, maxBody+1))
	if err != nil {
		return nil, "", fmt.Errorf("reading body: %w", err)
	}
	if len(body) > maxBody {
		return nil, "", errBodyTooLarge
	}
	return body, enc, nil
}
