package contactd

import "time"

// Tests read a contact's later changes a few at a time, so that a
// creation's fields are put together across several reads.
func init() { laterChangesPage = 5 }

// SetClock makes s read the time from now.
func SetClock(s *Service, now func() time.Time) { s.now = now }
