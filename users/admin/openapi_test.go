package admin

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIAgreesWithTheRoutes walks the handler's routes and the
// document both ways: every /api/ route is described, every described
// operation is served, and each has its path parameters declared.
func TestOpenAPIAgreesWithTheRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(openapiJSON, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	h := &Handler{}
	var served []string
	for _, rt := range h.routes() {
		if !strings.HasPrefix(rt.pattern, "/api/") {
			continue
		}
		op := strings.ToLower(rt.method) + " " + rt.pattern
		served = append(served, op)
		ops, ok := doc.Paths[rt.pattern]
		if !ok || ops[strings.ToLower(rt.method)] == nil {
			t.Errorf("%s is served but not described", op)
			continue
		}
		if strings.Contains(rt.pattern, "{name}") {
			params, _ := json.Marshal(ops[strings.ToLower(rt.method)]["parameters"])
			if !strings.Contains(string(params), `"name":"name"`) || !strings.Contains(string(params), `"in":"path"`) {
				t.Errorf("%s: the name path parameter is not declared", op)
			}
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !slices.Contains(served, method+" "+path) {
				t.Errorf("%s %s is described but not served", method, path)
			}
		}
	}

	// The document itself is served.
	f := newFixture(t, Options{})
	code, body := f.callAs("", "GET", "/api/v1/openapi.json", "")
	if code != http.StatusOK || body != string(openapiJSON) {
		t.Fatalf("GET openapi.json: %d", code)
	}
}
