package main

import (
	"fmt"
	"os"
)

func doctor(args []string) int {
	fmt.Fprintln(os.Stderr, "doctor: not built yet")
	return exitFailure
}
