package tlsfront

import "crypto/tls"

// SelfSigned returns a certificate for domain (a host name or an IP
// address), valid for a day and its own root (Leaf is set), for other
// test servers that speak TLS: the TLS redis-server of package
// testkit/redisserver.
func SelfSigned(domain string) (tls.Certificate, error) {
	c, _, err := selfSigned(domain)
	return c, err
}
