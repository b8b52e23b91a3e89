package redisstate

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// The Lua scripts that make check-and-take atomic on the server. Time is
// the server's (TIME), so replicas' clocks do not matter.

// leaseValue is the hash field a replica keeps per user:
// "seq connections prefix prefix ...". The sequence number orders the
// writes of one replica, so a late one never overrides a newer one.

// admitScript takes one more connection of a user for this replica if the
// fleet stays within the user's limits, counting the fields of live
// replicas only (a dead replica's fields are deleted on the way).
//
// KEYS[1] replicas, KEYS[2] conns:<user>. ARGV[1] replica id, ARGV[2] seq,
// ARGV[3] this replica's new value, ARGV[4] max connections (0: none),
// ARGV[5] max distinct prefixes (0: none), ARGV[6] the client's prefix,
// ARGV[7] "1" if this replica held no connection from that prefix, ARGV[8]
// the hash's TTL in ms.
//
// Returns 0 when taken, 1 over max_connections, 2 over max_ips, 3 when
// the store holds a newer value of this replica (nothing written).
var admitScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local me, seq = ARGV[1], tonumber(ARGV[2])
local conns, ips, nips = 0, {}, 0
local function count(v)
  local i = 0
  for w in string.gmatch(v, '%S+') do
    i = i + 1
    if i == 2 then
      conns = conns + tonumber(w)
    elseif i > 2 and not ips[w] then
      ips[w] = true
      nips = nips + 1
    end
  end
end
local h = redis.call('HGETALL', KEYS[2])
for i = 1, #h, 2 do
  local id, v = h[i], h[i + 1]
  if id == me then
    local s = tonumber(string.match(v, '^(%d+)'))
    if s and s >= seq then return 3 end
  else
    local exp = redis.call('ZSCORE', KEYS[1], id)
    if exp and tonumber(exp) > now then
      count(v)
    else
      redis.call('HDEL', KEYS[2], id)
    end
  end
end
local newIP = ARGV[7] == '1' and not ips[ARGV[6]]
count(ARGV[3])
local maxConns, maxIPs = tonumber(ARGV[4]), tonumber(ARGV[5])
if maxConns > 0 and conns > maxConns then return 1 end
if maxIPs > 0 and newIP and nips > maxIPs then return 2 end
redis.call('HSET', KEYS[2], me, ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[8])
return 0
`)

// leaseScript writes this replica's value for a user unless the store
// holds a newer one. KEYS[1] conns:<user>; ARGV[1] replica id, ARGV[2]
// seq, ARGV[3] value, ARGV[4] the hash's TTL in ms. Returns 1 when
// written, 0 when a newer value was there.
var leaseScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then
  local s = tonumber(string.match(v, '^(%d+)'))
  if s and s > tonumber(ARGV[2]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`)

// usageScript adds a replica's bytes to a user's period and returns the
// fleet's total. When the key is missing (a new period, or a store that
// lost its data) it is seeded with this replica's view of the total
// instead, which already holds what the fleet had counted before; "set"
// replaces the total (a quota reset). KEYS[1] usage:<user>:<period>:<start>;
// ARGV[1] "incr" or "set", ARGV[2] the bytes since the last flush,
// ARGV[3] this replica's view of the total, ARGV[4] TTL in ms (0: none).
var usageScript = redis.NewScript(`
local v
if ARGV[1] ~= 'set' and redis.call('EXISTS', KEYS[1]) == 1 then
  v = redis.call('INCRBY', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[3])
  v = tonumber(ARGV[3])
end
if tonumber(ARGV[4]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return v
`)

// evalAll runs the script once per keys and args pair in one pipeline.
// When the store does not know the script (it restarted), it loads it and
// runs the pipeline again: a NOSCRIPT reply means nothing ran.
func evalAll(ctx context.Context, rdb *redis.Client, sc *redis.Script, keys [][]string, args [][]any) ([]*redis.Cmd, error) {
	run := func() ([]*redis.Cmd, error) {
		pipe := rdb.Pipeline()
		cmds := make([]*redis.Cmd, len(keys))
		for i := range keys {
			cmds[i] = sc.EvalSha(ctx, pipe, keys[i], args[i]...)
		}
		_, err := pipe.Exec(ctx)
		return cmds, err
	}
	cmds, err := run()
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		if err = sc.Load(ctx, rdb).Err(); err == nil {
			cmds, err = run()
		}
	}
	return cmds, err
}
