package redisstate

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// RouteClientLogs sends go-redis's own log lines (a pool that cannot dial,
// for instance) to l at debug level instead of the standard logger's
// stderr: the store's health transitions are what the proxy logs at
// warning. go-redis has one logger per process, so the binary calls this
// once.
func RouteClientLogs(l *zap.Logger) { redis.SetLogger(clientLogs{l}) }

type clientLogs struct{ l *zap.Logger }

func (c clientLogs) Printf(_ context.Context, format string, v ...any) {
	if ce := c.l.Check(zap.DebugLevel, "go-redis"); ce != nil {
		ce.Write(zap.String("detail", fmt.Sprintf(format, v...)))
	}
}
