// Package badpeer is a TCP server that accepts every connection and is not
// Telegram: what a DC address looks like on a network that intercepts,
// blackholes or reflects traffic. The health probe and the doctor must
// call such a DC down, with the right reason, where a TCP connect would
// call it up.
//
//	probe ──obfuscated2 + req_pq_multi──► badpeer.Peer
//	      ◄── HTTP 400 / nothing / FIN / our own bytes
//
// The [Behaviour]s:
//
//   - [HTTP400] reads what arrives and answers an HTTP "400 Bad Request",
//     then closes, as a transparent HTTP interceptor or captive portal;
//   - [Silent] reads everything and never answers, as a DPI box that lets
//     the SYN through and blackholes the data;
//   - [CloseAfterFirst] closes the connection after the first bytes
//     arrive, as a box that resets flows it does not like;
//   - [Echo] sends back every byte it reads, as a reflector.
//
// [Start] ties a Peer to a test; [New] and [Peer.Close] serve other
// callers. [Peer.Accepted] counts connections, so a test can wait for a
// probe to have reached the peer.
package badpeer
