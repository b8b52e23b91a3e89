package admin

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mtproxy/mtproxy/users"
)

// userJSON is a user as the API shows it.
type userJSON struct {
	Name           string     `json:"name"`
	Secret         string     `json:"secret"`
	Enabled        bool       `json:"enabled"`
	MaxConnections int        `json:"max_connections"`
	MaxIPs         int        `json:"max_ips"`
	Quota          uint64     `json:"quota"`
	QuotaPeriod    string     `json:"quota_period"`
	Expires        *time.Time `json:"expires"`
	RateLimit      uint64     `json:"rate_limit"`
	Tag            string     `json:"tag"`
	Note           string     `json:"note"`
	Static         bool       `json:"static"`
	Usage          usageJSON  `json:"usage"`
}

type usageJSON struct {
	State       string     `json:"state"`
	Connections int        `json:"connections"`
	IPs         int        `json:"ips"`
	Used        uint64     `json:"used"`
	PeriodStart *time.Time `json:"period_start"`
	PeriodEnd   *time.Time `json:"period_end"`
	BytesIn     uint64     `json:"bytes_in"`
	BytesOut    uint64     `json:"bytes_out"`
	LastSeen    *time.Time `json:"last_seen"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func toJSON(st users.Status) userJSON {
	return userJSON{
		Name: st.Name, Secret: hex.EncodeToString(st.Key[:]), Enabled: st.Enabled,
		MaxConnections: st.MaxConnections, MaxIPs: st.MaxIPs, Quota: st.Quota,
		QuotaPeriod: st.QuotaPeriod.String(), Expires: timePtr(st.Expires), RateLimit: st.RateLimit,
		Tag: st.Tag, Note: st.Note, Static: st.Static,
		Usage: usageJSON{
			State: string(st.State), Connections: st.Connections, IPs: st.IPs, Used: st.Used,
			PeriodStart: timePtr(st.PeriodStart), PeriodEnd: timePtr(st.PeriodEnd),
			BytesIn: st.BytesIn, BytesOut: st.BytesOut, LastSeen: timePtr(st.LastSeen),
		},
	}
}

// maxBody bounds a request body.
const maxBody = 64 << 10

// decodeFields reads a JSON object whose keys must all be known.
func decodeFields(r *http.Request, known ...string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("body: want a JSON object: %v", err)
	}
	if m == nil {
		return nil, fmt.Errorf("body: want a JSON object")
	}
	for k := range m {
		ok := false
		for _, want := range known {
			ok = ok || k == want
		}
		if !ok {
			return nil, fmt.Errorf("unknown field %q (known: %s)", k, strings.Join(known, ", "))
		}
	}
	return m, nil
}

// editable are the fields POST and PATCH take.
var editable = []string{"secret", "enabled", "max_connections", "max_ips", "quota", "quota_period",
	"expires", "rate_limit", "tag", "note"}

// applyFields sets s's fields from a JSON object. Sizes are numbers of
// bytes or strings such as "50GiB"; expires is an RFC 3339 string or null.
func applyFields(s *users.Spec, m map[string]json.RawMessage) error {
	for k, raw := range m {
		if err := applyField(s, k, raw); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

func applyField(s *users.Spec, k string, raw json.RawMessage) error {
	switch k {
	case "name":
		return json.Unmarshal(raw, &s.Name)
	case "secret":
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		key, err := users.ParseKey(v)
		if err != nil {
			return err
		}
		s.Key = key
	case "enabled":
		return json.Unmarshal(raw, &s.Enabled)
	case "max_connections":
		return json.Unmarshal(raw, &s.MaxConnections)
	case "max_ips":
		return json.Unmarshal(raw, &s.MaxIPs)
	case "quota":
		return jsonSize(raw, &s.Quota)
	case "rate_limit":
		return jsonSize(raw, &s.RateLimit)
	case "quota_period":
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		p, err := users.ParsePeriod(v)
		if err != nil {
			return err
		}
		s.QuotaPeriod = p
	case "expires":
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			s.Expires = time.Time{}
			return nil
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		if v == "" {
			s.Expires = time.Time{}
			return nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fmt.Errorf("%q is not an RFC 3339 time such as 2026-01-31T00:00:00Z", v)
		}
		s.Expires = t
	case "tag":
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		s.Tag = strings.ToLower(v)
	case "note":
		return json.Unmarshal(raw, &s.Note)
	}
	return nil
}

func jsonSize(raw json.RawMessage, dst *uint64) error {
	var n uint64
	if err := json.Unmarshal(raw, &n); err == nil {
		*dst = n
		return nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("want a number of bytes or a string such as \"50GiB\"")
	}
	n, err := users.ParseSize(v)
	if err != nil {
		return err
	}
	*dst = n
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func hexString(b []byte) string { return hex.EncodeToString(b) }
