package admin

import (
	_ "embed"
	"net/http"
)

// openapiJSON describes the API; a test checks it against the routes.
//
//go:embed openapi.json
var openapiJSON []byte

func (h *Handler) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openapiJSON)
}
