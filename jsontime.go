package contactd

import (
	"time"
)

// TimeFormat is how timestamps are written in JSON: RFC 3339 in UTC with
// exactly millisecond precision.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// jsonTime is a time that marshals in TimeFormat.
type jsonTime time.Time

func (t jsonTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(TimeFormat) + `"`), nil
}

func optTime(t *time.Time) *jsonTime {
	if t == nil {
		return nil
	}
	j := jsonTime(*t)
	return &j
}
