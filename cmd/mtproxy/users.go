package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/mtproxy/mtproxy/proxy"
	"github.com/mtproxy/mtproxy/users"
	"github.com/mtproxy/mtproxy/users/admin"
	"go.uber.org/zap"
)

// usersApp is the users side of the app: the registry, the manager of
// USERS_FILE and the admin handler (nil without ADMIN_TOKEN).
type usersApp struct {
	reg   *users.Registry
	mgr   *users.Manager
	admin http.Handler
}

// newUsers loads USERS_FILE with the environment's secrets as static users.
// It returns nil when USERS_FILE and ADMIN_TOKEN are both unset: the proxy
// then runs on the static secrets exactly as before.
func (a *app) newUsers(secrets []proxy.Secret) (*usersApp, error) {
	cfg := a.cfg
	if cfg.UsersFile == "" && cfg.AdminToken == "" {
		return nil, nil
	}
	log := a.log.Named("users")
	static := make([]users.Spec, len(secrets))
	for i, s := range secrets {
		static[i] = users.Spec{Name: s.Label(i), Key: s.Key, Enabled: true}
	}
	ro := users.Options{Grace: cfg.UsersDrainGrace, Logger: log}
	if a.state != nil { // connections, addresses and quota usage fleet-wide
		ro.Ledger = a.state.store.UsersLedger()
	}
	u := &usersApp{reg: users.New(ro)}
	u.mgr = users.NewManager(u.reg, cfg.UsersFile, static, log)
	if a.state != nil {
		u.mgr.SetReadOnly("with STATE_URL every replica reads the same users file, the source of truth: edit it (the ConfigMap or shared volume) and every replica reloads it")
	}
	if err := u.mgr.Load(); err != nil {
		return nil, fmt.Errorf("USERS_FILE: %s: %w", cfg.UsersFile, err)
	}
	if err := u.reg.LoadUsage(cfg.UsersStateFile); err != nil {
		log.Warn("the users' saved quota usage could not be read; counting starts from zero", zap.Error(err))
	}
	log.Info("users loaded", zap.String("file", cfg.UsersFile), zap.Int("users", len(u.reg.Specs())))
	return u, nil
}

// newAdmin builds the admin handler once the external address is known.
func (a *app) newAdmin() error {
	if a.users == nil || a.cfg.AdminToken == "" {
		return nil
	}
	host := ""
	if ip := a.externalIP(); ip.IsValid() {
		host = ip.String()
	}
	o := admin.Options{
		Manager: a.users.mgr, Registry: a.users.reg, Token: a.cfg.AdminToken,
		Host: host, Port: a.cfg.Port, TLSDomain: a.cfg.TLSDomain, TLSOnly: a.cfg.TLSOnly,
		Logger: a.log.Named("admin"),
	}
	if w := a.cfg.WebProxy; w.Enabled() {
		o.WebProxyHost, o.WebProxyBasePath = w.Host, w.BasePath
	}
	h, err := admin.New(o)
	if err != nil {
		return err
	}
	a.users.admin = h
	return nil
}

// mountAdmin serves the admin API and page on INTERNAL_PORT, next to
// /stats and /metrics, to ADMIN_ALLOW only (an empty list: to nobody).
func (a *app) mountAdmin() {
	if a.users == nil || a.users.admin == nil {
		return
	}
	a.http.Handle("/api/", a.users.admin, a.cfg.AdminAllow)
	a.http.Handle("/admin/", a.users.admin, a.cfg.AdminAllow)
}

// runUsers runs the registry's periodic work (reordering, expiries, quota
// usage saved every few seconds and on the way out) and the file watch.
// done is closed once the final save is written.
func (a *app) runUsers(ctx context.Context) (done <-chan struct{}) {
	ch := make(chan struct{})
	if a.users == nil {
		close(ch)
		return ch
	}
	go func() {
		defer close(ch)
		a.users.reg.Run(ctx, a.cfg.UsersStateFile, 0)
	}()
	go func() {
		if err := a.users.mgr.Watch(ctx); err != nil {
			a.log.Warn("the users file is not watched for changes; SIGHUP reloads it", zap.Error(err))
		}
	}()
	return ch
}

// reloadUsers is SIGHUP's users part.
func (a *app) reloadUsers() {
	if a.users == nil || a.users.mgr.Path() == "" {
		return
	}
	a.log.Info("SIGHUP: reloading the users file")
	_ = a.users.mgr.Reload() // a refusal is logged
}
