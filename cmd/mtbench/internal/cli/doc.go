// Package cli is mtbench's command line: it parses the flags of each
// subcommand into the configs of packages load, stubs and compare, runs them
// and prints the result. main only wires the process (arguments, standard
// streams, signals) to Main.
package cli
