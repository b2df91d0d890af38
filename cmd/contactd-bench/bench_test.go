package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlite"
)

// TestMain lets the test binary serve as the bench's child servers, which
// the pipeline test starts by running the test binary again.
func TestMain(m *testing.M) {
	if runChild() {
		return
	}
	os.Exit(m.Run())
}

func TestGeneratorDeterministic(t *testing.T) {
	a, b, other := newGenerator(7, 1000), newGenerator(7, 1000), newGenerator(8, 1000)
	same := 0
	for i := range 50 {
		ca, cb := a.contact(i), b.contact(i)
		if !reflect.DeepEqual(ca, cb) {
			t.Fatalf("contact %d differs between two generators of the same seed:\n%+v\n%+v", i, ca, cb)
		}
		if reflect.DeepEqual(ca, other.contact(i)) {
			same++
		}
	}
	if same == 50 {
		t.Error("another seed gives the same contacts")
	}
	// Contacts do not depend on the order they are made in.
	if c := newGenerator(7, 1000).contact(42); !reflect.DeepEqual(c, a.contact(42)) {
		t.Error("contact 42 depends on what was generated before it")
	}
}

// TestGeneratedPhones checks that numbers are valid for their country,
// unique, and read back to the intended E.164 from the form stored and
// from the national form a lookup sends.
func TestGeneratedPhones(t *testing.T) {
	g := newGenerator(1, 100_000)
	seen := map[string]int{}
	for i := range 3000 {
		for _, p := range g.contact(i * 31).Phones { // spread over the data set
			if j, dup := seen[p.E164]; dup {
				t.Fatalf("%s given to contacts %d and %d", p.E164, j, i*31)
			}
			seen[p.E164] = i * 31
			num, err := phonenumbers.Parse(p.E164, "")
			if err != nil || !phonenumbers.IsValidNumberForRegion(num, p.Region) {
				t.Fatalf("%s is not a valid %s number", p.E164, p.Region)
			}
		}
	}
	for _, reg := range countryList {
		for _, u := range []uint64{g.unknownBase(), g.createBase(), minCap() - 1} {
			num, err := phonenumbers.Parse(countries[reg].number(u), "")
			if err != nil || !phonenumbers.IsValidNumberForRegion(num, reg) {
				t.Errorf("%s number %d is not valid", reg, u)
			}
		}
	}
}

// TestGeneratedContactsAccepted stores 2,000 generated contacts through
// the bulk path and checks every number normalized to the intended E.164.
func TestGeneratedContactsAccepted(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gen.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc := contactd.NewService(store, nil)
	tn, err := svc.CreateTenant(ctx, "gen", "US")
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := svc.CreateToken(ctx, contactd.TokenParams{TenantID: tn.ID, Scopes: contactd.AllScopes})
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	g := newGenerator(3, 1_000_000)
	var gen []*genContact
	var ins []*contactd.ContactInput
	for i := range 2000 {
		c := g.contact(i * 499) // from all over the data set
		gen = append(gen, c)
		ins = append(ins, c.input())
	}
	cs, err := svc.CreateContacts(ctx, p, "import", ins)
	if err != nil {
		t.Fatalf("CreateContacts: %v", err)
	}
	scripts := map[string]bool{}
	for k, c := range cs {
		if len(c.Phones) != len(gen[k].Phones) {
			t.Fatalf("contact %d: %d phones stored, %d generated", k, len(c.Phones), len(gen[k].Phones))
		}
		for j, ph := range c.Phones {
			if want := gen[k].Phones[j].E164; ph.E164 != want {
				t.Errorf("contact %d: %q stored as %s, want %s", k, ph.Number, ph.E164, want)
			}
		}
		for _, r := range c.DisplayName {
			switch {
			case r >= 0x0370 && r <= 0x03FF:
				scripts["greek"] = true
			case r >= 0x0400 && r <= 0x04FF:
				scripts["cyrillic"] = true
			case r >= 0x0600 && r <= 0x06FF:
				scripts["arabic"] = true
			case r >= 0x4E00 && r <= 0x9FFF:
				scripts["cjk"] = true
			case r >= 0xC0 && r <= 0x17F:
				scripts["latin accents"] = true
			}
		}
	}
	if len(scripts) < 5 {
		t.Errorf("names in too few scripts: %v", scripts)
	}
	// A contact created by the create scenario is accepted too, and its
	// JSON body decodes.
	in, err := contactd.DecodeContactInput(g.created(0, "t").jsonDoc())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateContact(ctx, p, in); err != nil {
		t.Fatal(err)
	}
}

// TestPipeline runs the whole benchmark on a tiny data set.
func TestPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs servers and drives them with load")
	}
	// Long enough windows that the slowest scenario answers some requests
	// even under the race detector on a busy machine.
	cfg, err := parseFlags([]string{"--contacts", "2000", "--duration", "3s", "--connections", "8", "--batch-size", "20",
		"--webhooks", "500", "--json", filepath.Join(t.TempDir(), "bench.json")}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := run(ctx, cfg, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	// Every scenario, and the interactive ones again at 4 connections.
	var want []string
	for _, s := range allScenarios {
		if interactive[s] {
			want = append(want, s+"@4")
		}
	}
	var again []string
	for _, r := range rep.Scenarios[min(len(allScenarios), len(rep.Scenarios)):] {
		again = append(again, r.Scenario)
	}
	if len(rep.Scenarios) != len(allScenarios)+len(want) || strings.Join(again, ",") != strings.Join(want, ",") {
		t.Fatalf("%d scenarios ran, then %v; want %d, then %v", len(rep.Scenarios), again, len(allScenarios)+len(want), want)
	}
	if rep.Load.BytesPerContact <= 0 || !strings.Contains(out.String(), "bytes per contact") {
		t.Errorf("no bytes per contact reported: %d", rep.Load.BytesPerContact)
	}
	for _, r := range append([]*result{rep.Minimal}, rep.Scenarios...) {
		if r.Requests == 0 {
			t.Errorf("%s: no requests", r.Scenario)
		}
		if r.Errors != 0 || r.Wrong != 0 {
			t.Errorf("%s: %d errors, %d wrong answers: %v %v", r.Scenario, r.Errors, r.Wrong, r.Statuses, r.ErrorSample)
		}
	}
	if wh := rep.Webhooks; wh == nil || !wh.valid() || wh.Received < 500 || wh.PerSec <= 0 {
		t.Errorf("the webhook pass: %+v", wh)
	}
	if _, err := os.Stat(cfg.JSON); err != nil {
		t.Errorf("no JSON report: %v", err)
	}
}

// TestCheckTagPage: the list check faults a contact without the tag and
// a page out of -updatedAt order, and passes a right page.
func TestCheckTagPage(t *testing.T) {
	check := checkTagPage("vip")
	for body, ok := range map[string]bool{
		`{"data":[]}`: true,
		`{"data":[{"id":"ct_2","tags":["VIP"],"updatedAt":"2024-01-02T00:00:00.000Z"},{"id":"ct_1","tags":["x","vip"],"updatedAt":"2024-01-01T00:00:00.000Z"}]}`: true,
		`{"data":[{"id":"ct_2","tags":["vip"],"updatedAt":"2024-01-01T00:00:00.000Z"},{"id":"ct_1","tags":["vip"],"updatedAt":"2024-01-01T00:00:00.000Z"}]}`:     true,
		`{"data":[{"id":"ct_1","tags":["vip"],"updatedAt":"2024-01-01T00:00:00.000Z"},{"id":"ct_2","tags":["vip"],"updatedAt":"2024-01-01T00:00:00.000Z"}]}`:     false,
		`{"data":[{"id":"ct_1","tags":["vip"],"updatedAt":"2024-01-01T00:00:00.000Z"},{"id":"ct_2","tags":["vip"],"updatedAt":"2024-01-02T00:00:00.000Z"}]}`:     false,
		`{"data":[{"id":"ct_1","tags":["vipp"],"updatedAt":"2024-01-01T00:00:00.000Z"}]}`:                                                                        false,
		`<html>`: false,
	} {
		if got := check([]byte(body)); (got == "") != ok {
			t.Errorf("%s: check says %q", body, got)
		}
	}
}
