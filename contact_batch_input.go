package contactd

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// BatchOp is one operation of a batch, as decoded: what to do, to which
// contact, with what. Err holds what is wrong with the operation as sent;
// such an operation fails alone.
type BatchOp struct {
	Op string
	// Key names the contact of an update, upsert or delete: exactly one
	// of its fields is set.
	Key Selector
	// Contact is the contact of a create or upsert.
	Contact *ContactInput
	// Patch is the merge patch of an update.
	Patch map[string]any
	// Photo, for an update from a file, is the image the record carries.
	Photo *PhotoData
	Err   error
}

// Batch operations.
const (
	OpCreate = "create"
	OpUpdate = "update"
	OpUpsert = "upsert"
	OpDelete = "delete"
)

// BatchOps are the operations a batch may hold.
var BatchOps = []string{OpCreate, OpUpdate, OpUpsert, OpDelete}

// DecodeBatch decodes the body of a batch: {"operations": [...]}, with 1 to
// MaxBatch operations. A body that is not that is one EInvalid error; an
// operation that is wrong is decoded with its Err set, located in the
// body ("operations[3].contact.emails[0].address"), so that it fails alone.
func DecodeBatch(data []byte) ([]BatchOp, error) {
	var raw []json.RawMessage
	err := decodeBody(data, func(d *decoder, key string, v json.RawMessage) {
		if key != "operations" {
			d.unknownField("", key)
			return
		}
		if isNull(v) {
			d.fail("operations", "must be an array")
			return
		}
		raw = d.array(v, "operations")
	})
	if err != nil {
		return nil, err
	}
	switch {
	case raw == nil:
		return nil, invalidField("operations", "is required")
	case len(raw) == 0:
		return nil, invalidField("operations", "must hold at least one operation")
	case len(raw) > MaxBatch:
		return nil, invalidField("operations", "must hold at most %d operations (got %d)", MaxBatch, len(raw))
	}
	ops := make([]BatchOp, len(raw))
	onEveryCore(len(raw), func(i int) {
		ops[i] = decodeBatchOp(raw[i], fmt.Sprintf("operations[%d]", i))
	})
	return ops, nil
}

// decodeBatchOp decodes one operation at loc.
func decodeBatchOp(raw json.RawMessage, loc string) BatchOp {
	var op BatchOp
	var d decoder
	var contact json.RawMessage
	ok := d.record(raw, loc, fields{
		strs: map[string]*string{"op": &op.Op, "id": &op.Key.ID, "externalId": &op.Key.ExternalID, "email": &op.Key.Email},
		other: func(k string, v json.RawMessage) bool {
			if k == "contact" {
				contact = v
			}
			return k == "contact"
		},
	})
	if !ok {
		op.Err = d.err()
		return op
	}
	keys := 0
	for _, k := range []string{op.Key.ID, op.Key.ExternalID, op.Key.Email} {
		if k != "" {
			keys++
		}
	}
	needsContact := op.Op == OpCreate || op.Op == OpUpsert || op.Op == OpUpdate
	switch {
	case op.Op == "":
		d.fail(loc+".op", "is required: one of %s", strings.Join(BatchOps, ", "))
	case !slices.Contains(BatchOps, op.Op):
		d.fail(loc+".op", "must be one of %s", strings.Join(BatchOps, ", "))
	case op.Op == OpCreate && keys > 0:
		d.fail(loc, "a create names no contact: give the contact's id, externalId or email inside contact")
	case op.Op == OpUpsert && (keys != 1 || op.Key.ID != ""):
		d.fail(loc, "an upsert needs exactly one of externalId and email")
	case op.Op != OpCreate && keys != 1:
		d.fail(loc, "an %s needs exactly one of id, externalId and email", op.Op)
	case needsContact && (contact == nil || isNull(contact)):
		d.fail(loc+".contact", "is required")
	case op.Op == OpDelete && contact != nil:
		d.fail(loc+".contact", "a delete takes no contact")
	}
	if len(d.errs) > 0 {
		op.Err = d.err()
		return op
	}
	prefix := loc + ".contact"
	switch op.Op {
	case OpCreate, OpUpsert:
		// The body was found valid JSON as a whole: decoded at once.
		var cd decoder
		op.Contact = cd.contactInput(contact)
		op.Err = cd.err()
	case OpUpdate:
		op.Patch, op.Err = decodePatch(contact)
	}
	if op.Err != nil {
		op.Err = under(op.Err, prefix)
	}
	return op
}

// under locates the field problems of err, which are relative to a
// document, in the document at prefix ("operations[3].contact").
func under(err error, prefix string) error {
	return relocated(err, func(loc string) string {
		if loc == "" || loc == "body" {
			return prefix
		}
		return prefix + "." + loc
	})
}
