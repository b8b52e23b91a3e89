package users

// Reason says whether a client was admitted, and why not: a closed set,
// used as a metric label.
type Reason uint8

// The admission outcomes.
const (
	Admitted       Reason = iota
	Disabled              // the user is disabled (or was removed meanwhile)
	Expired               // the user's expiry has passed
	Quota                 // the user's quota for the period is used up
	MaxConnections        // the user holds max_connections connections
	MaxIPs                // the user's connections come from max_ips addresses
	numReasons
)

// NumReasons is the size of the Reason set, Admitted included.
const NumReasons = int(numReasons)

func (r Reason) String() string {
	switch r {
	case Admitted:
		return "admitted"
	case Disabled:
		return "disabled"
	case Expired:
		return "expired"
	case Quota:
		return "quota"
	case MaxConnections:
		return "max_connections"
	case MaxIPs:
		return "max_ips"
	}
	return "unknown"
}
