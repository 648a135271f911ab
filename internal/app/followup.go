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
	if mailer, texter := a.channels(); mailer != nil || texter != nil {
		sender = outbox.NewSender(a.DB, mailer, texter, a.log)
		done := make(chan struct{})
		go func() { defer close(done); sender.Run(ctx) }()
		defer func() { <-done }()
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

// channels returns the outbox's delivery channels that are configured (Open
// has checked their addresses): an untyped nil for each that is not, whose
// messages then wait in the outbox.
func (a *App) channels() (outbox.Mailer, outbox.Texter) {
	var mailer outbox.Mailer
	var texter outbox.Texter
	if m, err := outbox.ParseSMTPURL(a.cfg.SMTPURL, a.cfg.MailFrom); a.cfg.SMTPURL != "" && err == nil {
		mailer = m
	} else {
		a.log.Info("no --smtp-url: emails wait in the outbox")
	}
	if t, err := outbox.ParseSMSURL(a.cfg.SMSURL, a.cfg.SMSToken); a.cfg.SMSURL != "" && err == nil {
		texter = t
	} else {
		a.log.Info("no --sms-url: text messages wait in the outbox")
	}
	return mailer, texter
}
