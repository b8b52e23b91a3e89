package metrics

import (
	"github.com/mtproxy/mtproxy/users"
)

// UsersSource is the users registry (USERS_FILE), as the metrics read it:
// *users.Registry implements it.
type UsersSource interface {
	// Series returns the top n users' rows and the "other" row.
	Series(n int) []users.SeriesRow
	// Rejections counts the refused clients by reason.
	Rejections() [users.NumReasons]uint64
	// States counts the users by state.
	States() map[users.State]int
}

type usersSource struct {
	src UsersSource
	top int
}

// SetUsers makes the per-secret series come from the users registry: the
// top users by traffic each with their own series (the label is the user's
// name), the rest summed under "other", and adds the users' rejections
// and states. Without it the series are the static secrets'.
func (m *Metrics) SetUsers(src UsersSource, top int) { m.users.Store(&usersSource{src, top}) }

// UserStates are the label values of mtproxy_users, in order.
var UserStates = []users.State{users.StateActive, users.StateDisabled, users.StateExpired, users.StateOverQuota}

// UsersStats describes the users of USERS_FILE.
type UsersStats struct {
	// Enabled is true when the proxy runs with a users registry.
	Enabled bool
	// Rejected counts clients refused, by users.Reason (Admitted unused).
	Rejected [users.NumReasons]uint64
	// States counts the users in each of UserStates.
	States []int
	// Quota is the current period's bytes of the users of Secrets.
	Quota []uint64
}

func (m *Metrics) fillUsers(s *Snapshot) {
	s.Users.States = make([]int, len(UserStates))
	u := m.users.Load()
	if u == nil {
		return
	}
	s.Users.Enabled = true
	s.Users.Rejected = u.src.Rejections()
	st := u.src.States()
	for i, k := range UserStates {
		s.Users.States[i] = st[k]
	}
	rows := u.src.Series(u.top)
	s.Secrets = make([]SecretStats, len(rows))
	s.Users.Quota = make([]uint64, len(rows))
	for i, r := range rows {
		s.Secrets[i] = SecretStats{Label: r.Label, Active: int64(r.Active), Total: r.Opened, Traffic: Bytes{r.In, r.Out}}
		s.Users.Quota[i] = r.Used
	}
}
