package contactd

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// MaxMergeSources bounds the sources of one merge.
const MaxMergeSources = 10

// MergeInput is a merge request (POST /v1/contacts/merge).
type MergeInput struct {
	TargetID  string
	SourceIDs []string
	// Fields choose a field's value: a contact of the merge (its id) or
	// a value, as JSON.
	Fields map[string]json.RawMessage
	DryRun bool
	Force  bool
}

// DecodeMerge decodes the body of a merge request. EInvalid.
func DecodeMerge(data []byte) (*MergeInput, error) {
	in := &MergeInput{}
	err := decodeBody(data, func(d *decoder, key string, v json.RawMessage) {
		switch key {
		case "targetId":
			d.str(v, key, &in.TargetID)
		case "sourceIds":
			in.SourceIDs = d.strs(v, key)
		case "fields":
			var raw json.RawMessage
			d.jsonObject(v, key, &raw)
			if raw != nil {
				_ = json.Unmarshal(raw, &in.Fields)
			}
		case "dryRun":
			d.boolean(v, key, &in.DryRun)
		case "force":
			d.boolean(v, key, &in.Force)
		default:
			d.unknownField("", key)
		}
	})
	if err != nil {
		return nil, err
	}
	var fe []FieldError
	if in.TargetID == "" {
		fe = append(fe, FieldError{Location: "targetId", Message: "is required"})
	}
	switch {
	case len(in.SourceIDs) == 0:
		fe = append(fe, FieldError{Location: "sourceIds", Message: "must name at least one contact"})
	case len(in.SourceIDs) > MaxMergeSources:
		fe = append(fe, FieldError{Location: "sourceIds", Message: fmt.Sprintf("must name at most %d contacts (got %d)", MaxMergeSources, len(in.SourceIDs))})
	}
	for i, id := range in.SourceIDs {
		if id == in.TargetID || slices.Index(in.SourceIDs, id) < i {
			fe = append(fe, FieldError{Location: fmt.Sprintf("sourceIds[%d]", i), Message: "names a contact twice", Value: id})
		}
	}
	for _, f := range slices.Sorted(maps.Keys(in.Fields)) {
		if !mergeable(f) {
			fe = append(fe, FieldError{Location: "fields." + f, Message: "is not a field a merge chooses", Value: f})
		}
	}
	if len(fe) > 0 {
		return nil, invalid(fe)
	}
	return in, nil
}
