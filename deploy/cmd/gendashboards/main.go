package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// errStale reports committed dashboards that differ from the definitions.
var errStale = errors.New("gendashboards: committed dashboards are out of date; run: cd deploy && go run ./cmd/gendashboards -out ../dashboards")

func main() {
	out := flag.String("out", "../dashboards", "directory the dashboards are written to")
	check := flag.Bool("check", false, "compare the files in -out with the definitions instead of writing them")
	flag.Parse()
	var err error
	if *check {
		err = checkDir(*out)
	} else {
		err = writeDir(*out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// render returns every dashboard's JSON by file name.
func render() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, b := range boards() {
		d, err := b.b.Build()
		if err != nil {
			return nil, fmt.Errorf("gendashboards: %s: %w", b.file, err)
		}
		idPanels(&d)
		j, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("gendashboards: %s: %w", b.file, err)
		}
		out[b.file] = append(j, '\n')
	}
	return out, nil
}

func writeDir(dir string) error {
	files, err := render()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, j := range files {
		if err := os.WriteFile(filepath.Join(dir, name), j, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// checkDir reports errStale, naming the files, when a file in dir is
// missing or differs from its definition.
func checkDir(dir string) error {
	files, err := render()
	if err != nil {
		return err
	}
	var stale []string
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, want) {
			stale = append(stale, name)
		}
	}
	if len(stale) > 0 {
		slices.Sort(stale)
		return fmt.Errorf("%w (%v)", errStale, stale)
	}
	return nil
}
