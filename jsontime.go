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

// Time is the creation time of a contact's entry (a phone, an email, an
// address, an extension, a link): written in TimeFormat, as every time of
// the API.
type Time time.Time

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) { return jsonTime(t).MarshalJSON() }

// UnmarshalJSON implements json.Unmarshaler: RFC 3339.
func (t *Time) UnmarshalJSON(b []byte) error {
	var v time.Time
	if err := v.UnmarshalJSON(b); err != nil {
		return err
	}
	*t = Time(v)
	return nil
}
