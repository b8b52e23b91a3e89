// Package stubs runs the far ends of a benchmark as standalone processes, so
// scripts/bench.sh can pin them to a core apart from the proxy under test:
//
//	mtbench fakedc   a fake DC (testkit/fakedc), Raw or Packets mode
//	mtbench socks5   a SOCKS5 server pinned to one target (testkit/socks5),
//	                 the upstream mtg needs to reach the fake DC
//	mtbench middle   a fake middle proxy (testkit/fakemiddle) and a fake
//	                 core.telegram.org (testkit/fakecore) listing it
//
// Each prints its addresses as KEY=value lines once it listens, then serves
// until its context ends (SIGINT/SIGTERM in the binary). They are separate
// processes because each socket costs a descriptor and the machine's
// descriptor limit is per process: 10k idle connections through mtg take 10k
// at the DC and 20k at the SOCKS5 server.
package stubs
