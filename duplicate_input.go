package contactd

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// CheckDuplicateParams reads minScore and reason parameters. EInvalid.
func CheckDuplicateParams(minScore, reasons string) (DuplicateParams, error) {
	var dp DuplicateParams
	if minScore != "" {
		f, err := strconv.ParseFloat(minScore, 64)
		if err != nil || f < 0 || f > 1 {
			return dp, invalidField("query.minScore", "must be a number from 0 to 1")
		}
		dp.MinScore = f
	}
	for _, r := range strings.Split(reasons, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		if !slices.Contains(DuplicateReasons, r) {
			return dp, invalidField("query.reason", "must be among %s (got %q)", strings.Join(DuplicateReasons, ", "), r)
		}
		dp.Reasons = append(dp.Reasons, r)
	}
	return dp, nil
}

// DecodeDismiss decodes the body of a dismissal: {"contactIds": [...]}.
func DecodeDismiss(data []byte) ([]string, error) {
	var ids []string
	err := decodeBody(data, func(d *decoder, key string, v json.RawMessage) {
		if key != "contactIds" {
			d.unknownField("", key)
			return
		}
		ids = d.strs(v, key)
	})
	if err != nil {
		return nil, err
	}
	if ids == nil {
		return nil, invalidField("contactIds", "is required")
	}
	return ids, nil
}
