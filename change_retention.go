package contactd

import (
	"context"
	"time"
)

// Retention of the change log. Each tenant keeps its changes for its
// changeRetentionDays; a background job (RunChangeRetention) removes older
// ones, oldest first, a few thousand per write so that it never holds the
// writer for long, and records how far it went, so that a feed cursor from
// before that point answers ECursorExpired rather than skipping changes.

// pruneBatch is how many changes one write of PruneChanges removes.
var pruneBatch = 2000

// PruneChanges removes, for every tenant, the changes older than its
// changeRetentionDays, and returns how many it removed. It stops early,
// with ctx's error, when ctx ends, and when the service stops.
func (s *Service) PruneChanges(ctx context.Context) (int, error) {
	tenants, err := s.store.Tenants(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, t := range tenants {
		before := s.now().AddDate(0, 0, -t.ChangeRetentionDays)
		for {
			if err := ctx.Err(); err != nil {
				return total, err
			}
			if s.stopped() {
				return total, nil
			}
			n, err := s.store.PruneChanges(ctx, t.ID, before, pruneBatch)
			total += n
			if err != nil {
				return total, err
			}
			if n < pruneBatch {
				break
			}
		}
	}
	return total, nil
}

// RunChangeRetention prunes the change log (PruneChanges) now and then
// every interval, until ctx ends or the service stops. A failed pass is
// logged and tried again at the next.
func (s *Service) RunChangeRetention(ctx context.Context, interval time.Duration) {
	for {
		start := time.Now()
		n, err := s.PruneChanges(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("change retention", "err", err, "removed", n)
		case n > 0:
			s.log.Info("change retention", "removed", n, "took", time.Since(start).Round(time.Millisecond).String())
		}
		t := time.NewTimer(interval)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.stopping:
			t.Stop()
			return
		}
	}
}
