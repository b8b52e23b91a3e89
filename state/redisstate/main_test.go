package redisstate

import (
	"os"
	"testing"

	"go.uber.org/zap"
)

func TestMain(m *testing.M) {
	RouteClientLogs(zap.NewNop()) // the tests kill the store on purpose
	os.Exit(m.Run())
}
