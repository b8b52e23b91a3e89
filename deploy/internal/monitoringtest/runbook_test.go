package monitoringtest

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// githubSlug is the anchor GitHub gives a Markdown heading: lower case,
// punctuation dropped, spaces turned into hyphens.
func githubSlug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// runbookSections reads docs/runbook.md into its sections, by anchor: the
// text under each heading up to the next heading of any level. Repeated
// headings get GitHub's -1, -2 suffixes; headings in code blocks are text.
func runbookSections(t testing.TB) map[string]string {
	t.Helper()
	f, err := os.Open(repoPath(t, "docs", "runbook.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	seen := map[string]int{}
	current := ""
	fence := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			fence = !fence
		}
		if !fence && strings.HasPrefix(line, "#") {
			heading := strings.TrimLeft(line, "#")
			if strings.HasPrefix(heading, " ") {
				slug := githubSlug(heading)
				if n := seen[slug]; n > 0 {
					seen[slug]++
					slug += "-" + strconv.Itoa(n)
				} else {
					seen[slug] = 1
				}
				current = slug
				out[current] = ""
				continue
			}
		}
		if current != "" {
			out[current] += line + "\n"
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGithubSlug(t *testing.T) {
	for in, want := range map[string]string{
		" MTProxyDown":                  "mtproxydown",
		" Clock skew (warning, > 2 s)":  "clock-skew-warning--2-s",
		"  What `mtproxy doctor` tells": "what-mtproxy-doctor-tells",
	} {
		if got := githubSlug(in); got != want {
			t.Errorf("githubSlug(%q) = %q, want %q", in, got, want)
		}
	}
}

// alertSlug is the anchor of a heading named like an alert.
var alertSlug = regexp.MustCompile(`^mtproxy[a-z0-9]+$`)

// TestRunbookSections: every alert's section says what it means, its
// impact, how to diagnose it and how to fix it; every section named like
// an alert belongs to an existing alert.
func TestRunbookSections(t *testing.T) {
	sections := runbookSections(t)
	names := map[string]bool{}
	for _, n := range alertNames(loadRules(t)) {
		names[strings.ToLower(n)] = true
		text, ok := sections[strings.ToLower(n)]
		if !ok {
			continue // TestAlertsAnnotated reports it
		}
		for _, part := range []string{"**Meaning.**", "**Impact.**", "**Diagnosis.**", "**Fix.**"} {
			if !strings.Contains(text, part) {
				t.Errorf("runbook section %s has no %s paragraph", n, part)
			}
		}
	}
	for slug := range sections {
		if alertSlug.MatchString(slug) && !names[slug] {
			t.Errorf("runbook section #%s names no alert of the rules", slug)
		}
	}
}
