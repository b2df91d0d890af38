package contactd_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/formats"
	"github.com/contactd/contactd/internal/storetest"
)

// records is an import source of n generated records, which fails with
// failAt's error at record failAt (0: none).
type records struct {
	n, i   int
	failAt int
}

func (r *records) Next() (*contactd.ImportRecord, error) {
	if r.i >= r.n {
		return nil, io.EOF
	}
	r.i++
	if r.i == r.failAt {
		return nil, errors.New("the disk went away")
	}
	return &contactd.ImportRecord{N: r.i, Input: &contactd.ContactInput{FirstName: fmt.Sprintf("Rec%05d", r.i),
		Emails: []contactd.Email{{Address: fmt.Sprintf("rec%d@example.org", r.i)}}}}, nil
}

func startImport(t *testing.T, e *raceEnv, mode string) *contactd.Import {
	t.Helper()
	im, err := e.svc.CreateImport(t.Context(), e.p, contactd.ImportParams{Format: "ndjson", Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	return im
}

// countContacts counts a tenant's live contacts.
func (e *raceEnv) countContacts(t *testing.T) int {
	t.Helper()
	page, err := e.svc.ListContacts(t.Context(), e.p, contactd.ContactListRequest{ListParams: contactd.ListParams{Limit: 1, ExactCount: true}})
	if err != nil {
		t.Fatal(err)
	}
	return *page.Total
}

// TestImportEnds: a job that cannot read its file further, that is
// cancelled, or whose server stops ends with the counts of exactly what
// it wrote, batch by batch; one whose server died is found failed.
func TestImportEnds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		t.Run("unreadable", func(t *testing.T) {
			e := newRaceEnv(t, b)
			im, err := e.svc.RunImport(ctx, e.p, startImport(t, e, "create"), &records{n: 5000, failAt: 2500}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			// The records read before the failure are written.
			if im.Status != contactd.ImportFailed || im.Processed != 2499 || im.Created != 2499 || im.Total != nil ||
				!strings.Contains(im.Error, "after record 2499") || !strings.Contains(im.Error, "disk went away") {
				t.Errorf("job %+v", im)
			}
			if n := e.countContacts(t); n != 2499 {
				t.Errorf("%d contacts, want the 2499 read", n)
			}
		})
		t.Run("cancelled", func(t *testing.T) {
			e := newRaceEnv(t, b)
			im := startImport(t, e, "create")
			// Cancelled once two batches are written (the next is read,
			// and maybe being written, meanwhile).
			got, err := e.svc.RunImport(ctx, e.p, im, &records{n: 5000}, nil, func(j *contactd.Import) {
				if j.Created == 2000 {
					if _, err := e.svc.CancelImport(ctx, e.p, im.ID); err != nil {
						t.Error(err)
					}
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			stored, _ := e.svc.GetImport(ctx, e.p, im.ID)
			if got.Status != contactd.ImportCancelled || stored.Status != contactd.ImportCancelled || stored.Created != 2000 || got.Created != 2000 {
				t.Errorf("job %+v, stored %+v", got, stored)
			}
			if n := e.countContacts(t); n != 2000 {
				t.Errorf("%d contacts, want the 2000 written before the cancel", n)
			}
		})
		t.Run("stopped", func(t *testing.T) {
			e := newRaceEnv(t, b)
			cctx, cancel := context.WithCancel(ctx)
			im, err := e.svc.RunImport(cctx, e.p, startImport(t, e, "create"), &records{n: 5000}, nil, func(j *contactd.Import) {
				if j.Created == 1000 {
					cancel() // the server stops after the first batch
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if im.Status != contactd.ImportFailed || im.Created != 1000 || !strings.Contains(im.Error, "1000 records") {
				t.Errorf("job %+v", im)
			}
			if n := e.countContacts(t); n != 1000 {
				t.Errorf("%d contacts, want 1000", n)
			}
		})
		t.Run("server died", func(t *testing.T) {
			e := newRaceEnv(t, b)
			im := startImport(t, e, "create")
			im.Status, im.Processed, im.Created = contactd.ImportRunning, 1000, 1000
			im.HeartbeatAt = time.Now().Add(-time.Hour)
			if err := e.store.UpdateImport(ctx, im, nil); err != nil {
				t.Fatal(err)
			}
			got, err := e.svc.GetImport(ctx, e.p, im.ID)
			if err != nil || got.Status != contactd.ImportFailed || got.Created != 1000 || !strings.Contains(got.Error, "stopped") {
				t.Errorf("a job whose server died: %+v, %v", got, err)
			}
		})
		t.Run("succeeded", func(t *testing.T) {
			e := newRaceEnv(t, b)
			var seen []int64
			im, err := e.svc.RunImport(ctx, e.p, startImport(t, e, "create"), &records{n: 2500}, []string{"a column"}, func(im *contactd.Import) {
				seen = append(seen, im.Processed)
			})
			if err != nil || im.Status != contactd.ImportSucceeded || im.Total == nil || *im.Total != 2500 || im.Created != 2500 || im.Rate <= 0 ||
				len(im.Warnings) != 1 || im.Warnings[0].FirstRecord != 0 {
				t.Errorf("job %+v, %v", im, err)
			}
			if fmt.Sprint(seen) != "[1000 2000 2500]" {
				t.Errorf("progress %v", seen)
			}
			// Again, in upsert mode: every record finds its contact by email.
			im, err = e.svc.RunImport(ctx, e.p, startImport(t, e, "upsert"), &records{n: 2500}, nil, nil)
			if err != nil || im.Unchanged != 2500 || im.MatchedBy["email"] != 2500 {
				t.Errorf("upsert of the same records: %+v, %v", im, err)
			}
		})
		t.Run("scope", func(t *testing.T) {
			e := newRaceEnv(t, b)
			p := e.p
			p.Scopes = []contactd.Scope{contactd.ScopeWrite}
			if _, err := e.svc.CreateImport(ctx, p, contactd.ImportParams{Format: "csv"}); contactd.ErrorCodeOf(err) != contactd.EForbidden {
				t.Errorf("CreateImport with contacts:write: %v", err)
			}
		})
	})
}

// TestImportFormatsReadTheirFiles: the three readers feed RunImport.
func TestImportFormatsReadTheirFiles(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newRaceEnv(t, b)
		csvReader, err := formats.NewCSVReader(strings.NewReader("Name,E-mail Address\nAda Lovelace,ada@example.org\n"), formats.CSVOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for name, src := range map[string]contactd.ImportSource{
			"csv":    csvReader,
			"vcard":  formats.NewVCardReader(strings.NewReader("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Grace Hopper\r\nEND:VCARD\r\n")),
			"ndjson": formats.NewNDJSONReader(strings.NewReader(`{"firstName":"Alan"}` + "\n")),
		} {
			im, err := e.svc.RunImport(t.Context(), e.p, startImport(t, e, "create"), src, nil, nil)
			if err != nil || im.Created != 1 {
				t.Errorf("%s: %+v, %v", name, im, err)
			}
		}
	})
}
