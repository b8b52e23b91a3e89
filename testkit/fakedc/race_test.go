//go:build race

package fakedc

const raceEnabled = true
