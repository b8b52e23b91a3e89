package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// label is a status as the text report marks it.
func (s Status) label() string {
	switch s {
	case OK:
		return "[ok]"
	case Warn:
		return "[warn]"
	case Fail:
		return "[FAIL]"
	}
	return "[skip]"
}

// MarshalText spells the status as String does, for JSON.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// WriteText writes the report for a terminal: one line per check (status,
// name, detail), its notes indented under it, then a summary line.
//
//	[ok]   dc 2             149.154.167.51:443 38ms
//	[FAIL] middle proxies   0 of 8 answered, ...
//	         dc 2 149.154.167.51:8888: connection refused
func (r Report) WriteText(w io.Writer) error {
	width := 0
	for _, o := range r.Outcomes {
		width = max(width, len(o.Name))
	}
	var b strings.Builder
	for _, o := range r.Outcomes {
		fmt.Fprintf(&b, "%-6s %-*s  %s\n", o.Status.label(), width, o.Name, o.Detail)
		for _, n := range o.Notes {
			fmt.Fprintf(&b, "         %s\n", n)
		}
	}
	fmt.Fprintf(&b, "%s: %d ok, %s, %d failed, %d skipped (%s)\n", r.verdict(),
		r.Count(OK), plural(r.Count(Warn), "warning", "warnings"), r.Count(Fail), r.Count(Skip), fmtDur(r.Took))
	_, err := io.WriteString(w, b.String())
	return err
}

// verdict is the summary's first word.
func (r Report) verdict() string {
	switch {
	case r.Failed():
		return "FAILED"
	case r.Count(Warn) > 0:
		return "ok with warnings"
	}
	return "ok"
}

// jsonReport is the JSON form of a Report.
type jsonReport struct {
	OK     bool        `json:"ok"`
	TookMS int64       `json:"took_ms"`
	Checks []jsonCheck `json:"checks"`
}

type jsonCheck struct {
	Name   string   `json:"name"`
	Status Status   `json:"status"`
	Detail string   `json:"detail"`
	Notes  []string `json:"notes,omitempty"`
	TookMS int64    `json:"took_ms"`
}

// WriteJSON writes the report as one JSON object: "ok" (no check failed),
// "took_ms" and "checks", each with name, status (skip, ok, warn, fail),
// detail, notes and took_ms.
func (r Report) WriteJSON(w io.Writer) error {
	out := jsonReport{OK: !r.Failed(), TookMS: r.Took.Milliseconds(), Checks: make([]jsonCheck, len(r.Outcomes))}
	for i, o := range r.Outcomes {
		out.Checks[i] = jsonCheck{Name: o.Name, Status: o.Status, Detail: o.Detail, Notes: o.Notes, TookMS: o.Took.Milliseconds()}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // links keep their &
	return enc.Encode(out)
}
