package app

import (
	"context"
	"time"

	"github.com/ketacare/ketacare/internal/outbox"
)

// FollowupInterval is how often follow-up's background pass runs.
const FollowupInterval = 30 * time.Second

// runFollowup runs follow-up's background pass (scheduling, sending and
// chasing check-ins, reclassifying) and the outbox sender until ctx ends.
func (a *App) runFollowup(ctx context.Context) {
	base := a.cfg.BaseURL
	if base == "" {
		base = a.URL()
	}
	var sender *outbox.Sender
	if a.cfg.SMTPURL != "" {
		m, err := outbox.ParseSMTPURL(a.cfg.SMTPURL, a.cfg.MailFrom)
		if err != nil {
			a.log.Error("follow-up emails are not sent: --smtp-url", "err", err)
		} else {
			sender = outbox.NewSender(a.DB, m, a.log)
			done := make(chan struct{})
			go func() { defer close(done); sender.Run(ctx) }()
			defer func() { <-done }()
		}
	} else {
		a.log.Info("no --smtp-url: follow-up emails wait in the outbox")
	}
	t := time.NewTicker(FollowupInterval)
	defer t.Stop()
	for {
		r, err := a.DB.FollowupPass(ctx, base)
		if err != nil && ctx.Err() == nil {
			a.log.Error("follow-up pass", "err", err)
		}
		if sender != nil && (r.Sent > 0 || r.Chased > 0) {
			sender.Wake()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
