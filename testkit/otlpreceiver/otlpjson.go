package otlpreceiver

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// ErrBadJSON is returned (wrapped) for OTLP/JSON that is not well formed.
var ErrBadJSON = errors.New("otlpreceiver: bad OTLP/JSON")

// OTLP/JSON is the protobuf JSON mapping with one difference that matters
// here: trace and span IDs are hex strings, not base64. These are the fields,
// under both spellings the protobuf JSON mapping accepts, that hold them.
var (
	spanIDFields = []string{"traceId", "trace_id", "spanId", "span_id", "parentSpanId", "parent_span_id"}
	linkIDFields = []string{"traceId", "trace_id", "spanId", "span_id"}
)

// UnmarshalJSON decodes an OTLP/JSON ExportTraceServiceRequest into msg.
// Unknown fields are ignored, as OTLP receivers must.
func UnmarshalJSON(data []byte, msg *coltracepb.ExportTraceServiceRequest) error {
	converted, err := convertIDs(data, hexToBase64)
	if err != nil {
		return err
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(converted, msg); err != nil {
		return fmt.Errorf("%w: %v", ErrBadJSON, err)
	}
	return nil
}

// MarshalJSON encodes msg as OTLP/JSON, with hex trace and span IDs.
func MarshalJSON(msg *coltracepb.ExportTraceServiceRequest) ([]byte, error) {
	data, err := protojson.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("otlpreceiver: %w", err)
	}
	return convertIDs(data, base64ToHex)
}

func hexToBase64(s string) (string, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func base64ToHex(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// convertIDs rewrites the ID fields of the spans and links in an
// ExportTraceServiceRequest given as JSON, leaving everything else as it is.
func convertIDs(data []byte, conv func(string) (string, error)) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // keep 64-bit integers exact
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadJSON, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the top-level value", ErrBadJSON)
	}
	for _, rs := range objects(field(root, "resourceSpans", "resource_spans")) {
		for _, ss := range objects(field(rs, "scopeSpans", "scope_spans")) {
			for _, span := range objects(field(ss, "spans")) {
				if err := convertFields(span, spanIDFields, conv); err != nil {
					return nil, err
				}
				for _, link := range objects(field(span, "links")) {
					if err := convertFields(link, linkIDFields, conv); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	out, err := json.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadJSON, err)
	}
	return out, nil
}

// field returns the first of names present in v when v is a JSON object.
func field(v any, names ...string) any {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	for _, name := range names {
		if f, ok := obj[name]; ok {
			return f
		}
	}
	return nil
}

// objects returns the objects of a JSON array; anything else yields none
// (protojson reports the type error later).
func objects(v any) []map[string]any {
	arr, _ := v.([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, e := range arr {
		if obj, ok := e.(map[string]any); ok {
			out = append(out, obj)
		}
	}
	return out
}

func convertFields(obj map[string]any, names []string, conv func(string) (string, error)) error {
	for _, name := range names {
		s, ok := obj[name].(string)
		if !ok {
			continue // absent, or a type protojson will reject
		}
		c, err := conv(s)
		if err != nil {
			return fmt.Errorf("%w: field %s: %v", ErrBadJSON, name, err)
		}
		obj[name] = c
	}
	return nil
}
