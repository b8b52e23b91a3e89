//go:build !race

package fakedc

const raceEnabled = false
